import { int, isoDateTime } from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import { sessionListSchema, sessionTimes } from '../schemas/sessions.js';
import { email, secretText } from '../schemas/text.js';
import { DENTAL_ROLES } from './permissions.js';

/** Dental sign-in and audit wire shapes (requests validated with, responses documented). */

const role = z.enum(DENTAL_ROLES);

export const dentalLoginBody = z
  .object({ email: email({ max: 200 }), password: secretText({ max: 200 }) })
  .openapi('DentalLogin');
export const dentalSessionParams = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{22}$/, 'expected a session id from GET /dental/auth/sessions'),
});
export const auditQuery = z.object({
  patientId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  staffId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const DentalLoginResult = z
  .strictObject({
    staff: z.strictObject({ id: int, name: z.string(), email: z.email(), role }),
  })
  .openapi('DentalLoginResult');
export const DentalMe = z
  .strictObject({
    staff: z.strictObject({ id: int, name: z.string(), role }),
    session: sessionTimes,
  })
  .openapi('DentalMe');
export const DentalSessionList = sessionListSchema('DentalSessionList');
export const AuditList = z
  .strictObject({
    items: z.array(
      z.strictObject({
        id: int,
        staffId: int,
        staffName: z.string(),
        staffRole: role,
        patientId: int,
        action: z.enum([
          'patient',
          'patient-list',
          'treatments',
          'invoices',
          'invoice',
          'reminders',
          'follow-ups',
        ]),
        requestId: z.string().nullable(),
        at: isoDateTime,
      }),
    ),
  })
  .openapi('DentalAuditList');
