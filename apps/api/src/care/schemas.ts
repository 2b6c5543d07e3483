import { int, isoDateTime } from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import { sessionListSchema, sessionTimes } from '../schemas/sessions.js';
import { email, secretText, text } from '../schemas/text.js';

/** Home-care wire shapes: request schemas the routes validate with, response shapes for the document. */

const careLevel = z.enum(['low', 'medium', 'high']);
const severity = z.enum(['info', 'warning', 'critical']);

export const clientParams = z.object({ id: z.coerce.number().int().positive().max(2_147_483_647) });
export const loginBody = z
  .object({ email: email({ max: 200 }), password: secretText({ max: 200 }) })
  .openapi('CareLogin');
export const sessionParams = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{22}$/, 'expected a session id from GET /care/sessions'),
});
export const careLevelBody = z.object({ careLevel }).openapi('CareLevelInput');
export const alertBody = z
  .object({
    clientId: z.number().int().positive(),
    severity,
    message: text({ max: 500, multiline: true }),
  })
  .openapi('AlertInput');

// ---- responses ----
const source = z.enum(['redis', 'memory']);

export const CareLoginResult = z
  .strictObject({ carer: z.strictObject({ id: int, name: z.string(), email: z.email() }) })
  .openapi('CareLoginResult');
export const CareMe = z
  .strictObject({
    carer: z.strictObject({ id: int, name: z.string().nullable() }),
    session: sessionTimes,
  })
  .openapi('CareMe');
export const SessionList = sessionListSchema('CareSessionList');
export const CareClient = z
  .strictObject({ id: int, name: z.string(), address: z.string(), careLevel })
  .openapi('CareClient');
export const CareClientList = z
  .strictObject({ items: z.array(CareClient) })
  .openapi('CareClientList');
export const Heartbeat = z
  .strictObject({ carerId: int, lastSeen: isoDateTime, ttlSeconds: int, source })
  .openapi('Heartbeat');
export const OnlineCarers = z
  .strictObject({
    online: z.array(z.strictObject({ carerId: int, lastSeen: isoDateTime })),
    source,
  })
  .openapi('OnlineCarers');
export const CreatedAlert = z
  .strictObject({
    id: int,
    clientId: int,
    carerId: int,
    severity,
    message: z.string(),
    createdAt: isoDateTime,
    delivery: z.enum(['redis', 'local']).openapi({
      description:
        'redis: published to every instance; local: Redis could not take it, only this instance’s streams got it',
    }),
  })
  .openapi('CreatedAlert');
