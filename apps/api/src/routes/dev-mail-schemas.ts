import { int, isoDateTime } from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import { email } from '../schemas/text.js';

export const devMailQuery = z.object({
  to: email({ max: 200 })
    .transform((v) => v.toLowerCase())
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const SinkEntry = z
  .strictObject({
    seq: int,
    jobId: z.string(),
    to: z.string(),
    subject: z.string(),
    text: z.string(),
    template: z.string(),
    attempt: int.openapi({ description: '1 on the first try' }),
    status: z.enum(['delivered', 'failed']),
    error: z.string().optional(),
    at: isoDateTime,
  })
  .openapi('DevMail');

export const DevMailList = z
  .strictObject({ mails: z.array(SinkEntry) })
  .openapi('DevMailList', { description: 'Newest first' });
