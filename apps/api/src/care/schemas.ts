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

// ---- medication, adherence and appointments (background jobs) ----
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a UTC time as HH:MM');
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine(
    (s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().startsWith(s),
    'not a calendar date',
  )
  .openapi({ format: 'date', example: '2026-12-01' });
const enqueueState = z.enum(['queued', 'outbox', 'inline', 'dropped']).openapi({
  description:
    'queued: in Redis; outbox: Redis was unavailable, enqueued once it is back; inline: DISABLE_BACKGROUND_JOBS (runs in this process); dropped: background jobs off',
});

export const medicationParams = z.object({
  id: clientParams.shape.id,
  medicationId: clientParams.shape.id,
});
export const appointmentParams = z.object({
  id: clientParams.shape.id,
  appointmentId: clientParams.shape.id,
});
export const medicationBody = z
  .object({
    name: text({ max: 100 }),
    dose: text({ max: 100 }),
    times: z
      .array(hhmm)
      .min(1)
      .max(12)
      .refine((t) => new Set(t).size === t.length, 'times must be distinct'),
    startsOn: isoDay.optional(),
  })
  .openapi('MedicationInput');
export const takenBody = z
  .object({
    doseAt: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({ description: 'One of the dose times; default the latest (up to an hour early)' }),
  })
  .openapi('DoseTakenInput');
export const adherenceCheckBody = z
  .object({ day: isoDay.optional().openapi({ description: 'UTC day; default today' }) })
  .openapi('AdherenceCheckInput');
export const careAppointmentBody = z
  .object({ title: text({ max: 200 }), startsAt: z.iso.datetime({ offset: true }) })
  .openapi('CareAppointmentInput');
export const careAppointmentPatchBody = z
  .object({ status: z.enum(['completed', 'cancelled']) })
  .openapi('CareAppointmentPatch');

const Dose = z.strictObject({
  doseAt: isoDateTime,
  remindedAt: isoDateTime.nullable(),
  takenAt: isoDateTime.nullable(),
});
const medicationFields = {
  id: int,
  clientId: int,
  name: z.string(),
  dose: z.string(),
  times: z.array(z.string()),
  startsOn: z.iso.date(),
  nextDoseAt: isoDateTime.nullable(),
};
export const Medication = z
  .strictObject({ ...medicationFields, doses: z.array(Dose) })
  .openapi('Medication');
export const MedicationList = z
  .strictObject({ items: z.array(Medication) })
  .openapi('MedicationList');
export const CreatedMedication = z
  .strictObject({ ...medicationFields, reminder: z.union([enqueueState, z.literal('none')]) })
  .openapi('CreatedMedication');
export const TakenDose = z
  .strictObject({ medicationId: int, doseAt: isoDateTime, takenAt: isoDateTime })
  .openapi('TakenDose');
export const AdherenceReport = z
  .strictObject({
    clientId: int,
    items: z.array(
      z.strictObject({
        day: z.iso.date(),
        due: int,
        taken: int,
        missed: int,
        ratePercent: z.number(),
        checkedAt: isoDateTime,
      }),
    ),
  })
  .openapi('AdherenceReport');
export const AdherenceCheckQueued = z
  .strictObject({ clientId: int, day: z.iso.date(), state: enqueueState })
  .openapi('AdherenceCheckQueued');
const careAppointmentStatus = z.enum(['scheduled', 'due', 'completed', 'cancelled']);
export const CareAppointment = z
  .strictObject({
    id: int,
    clientId: int,
    title: z.string(),
    startsAt: isoDateTime,
    status: careAppointmentStatus,
    updatedAt: isoDateTime,
  })
  .openapi('CareAppointment');
export const CareAppointmentList = z
  .strictObject({ items: z.array(CareAppointment) })
  .openapi('CareAppointmentList');
// a new object from the shape: `.extend` of a registered schema renders as a closed allOf
export const CareAppointmentChange = z
  .strictObject({ ...CareAppointment.shape, statusJob: enqueueState })
  .openapi('CareAppointmentChange');
