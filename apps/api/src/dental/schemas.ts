import { int, isoDateTime } from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import { text } from '../schemas/text.js';

/**
 * Dental wire shapes: the request schemas the routes validate with and the response shapes the
 * OpenAPI document declares (and the tests check real responses against).
 */

export const id = z.coerce.number().int().positive().max(2_147_483_647);
export const idParams = z.object({ id });
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine(
    (s) => !Number.isNaN(Date.parse(s)) && new Date(s).toISOString().startsWith(s),
    'not a calendar date',
  )
  .openapi({ format: 'date', example: '1990-04-01' });
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(10_000).default(1),
  limit: z.coerce.number().int().min(1).max(100).default(10),
});
export const dateQuery = z.object({ date: isoDate });

const patientFields = {
  firstName: text({ max: 100 }),
  lastName: text({ max: 100 }),
  email: z
    .email()
    .max(200)
    .transform((e) => e.toLowerCase()),
  phone: text({ min: 3, max: 40 }),
  dateOfBirth: isoDate,
};
export const patientBody = z.object(patientFields).openapi('PatientInput');
export const patientPatchBody = z
  .object(patientFields)
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'send at least one field')
  .openapi('PatientPatch', { minProperties: 1 });
export const appointmentBody = z
  .object({
    patientId: id,
    staffId: id,
    startsAt: z.iso.datetime({ offset: true }),
    durationMin: z.number().int().min(5).max(480).default(30),
    reason: text({ max: 200 }),
  })
  .openapi('AppointmentInput');
export const appointmentStatus = z.enum(['scheduled', 'completed', 'cancelled']);
/** A status change, a move (new start time), or both: the reminder follows either. */
export const appointmentPatchBody = z
  .object({
    status: appointmentStatus.optional(),
    startsAt: z.iso.datetime({ offset: true }).optional(),
  })
  .refine((v) => v.status !== undefined || v.startsAt !== undefined, 'send status or startsAt')
  .openapi('AppointmentPatch', { minProperties: 1 });
export const treatmentBody = z
  .object({
    appointmentId: id.nullable().optional(),
    code: z
      .string()
      .trim()
      .regex(/^D\d{4}$/, 'expected an ADA code such as D1110'),
    description: text({ max: 200 }),
    costCents: z.number().int().min(0).max(10_000_000),
  })
  .openapi('TreatmentInput');

// ---- responses ----
const invoiceStatus = z.enum(['open', 'paid', 'void']);

export const Patient = z
  .strictObject({
    id: int,
    firstName: z.string(),
    lastName: z.string(),
    email: z.email(),
    phone: z.string(),
    dateOfBirth: z.iso.date(),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .openapi('Patient');
export const PatientPage = z
  .strictObject({ items: z.array(Patient), page: int, limit: int, total: int })
  .openapi('PatientPage');

export const Treatment = z
  .strictObject({
    id: int,
    patientId: int,
    appointmentId: int.nullable(),
    code: z.string(),
    description: z.string(),
    costCents: int,
    performedAt: isoDateTime,
  })
  .openapi('Treatment');
export const TreatmentList = z.strictObject({ items: z.array(Treatment) }).openapi('TreatmentList');
export const CreatedTreatment = z
  .strictObject({
    treatment: Treatment.omit({ appointmentId: true }).openapi('NewTreatment'),
    invoice: z.strictObject({ id: int, status: invoiceStatus, amountCents: int }),
    followUp: z.strictObject({
      dueAt: isoDateTime,
      state: z.enum(['queued', 'outbox', 'inline', 'dropped']),
    }),
  })
  .openapi('CreatedTreatment');

export const Invoice = z
  .strictObject({
    id: int,
    patientId: int,
    amountCents: int,
    status: invoiceStatus,
    issuedAt: isoDateTime,
    paidAt: isoDateTime.nullable(),
  })
  .openapi('Invoice');
export const InvoiceList = z.strictObject({ items: z.array(Invoice) }).openapi('InvoiceList');
export const PaidInvoice = Invoice.omit({ issuedAt: true }).openapi('PaidInvoice');

export const Appointment = z
  .strictObject({
    id: int,
    patientId: int,
    staffId: int,
    startsAt: isoDateTime,
    durationMin: int,
    status: appointmentStatus,
    reason: z.string(),
  })
  .openapi('Appointment');
export const AppointmentDay = z
  .strictObject({ date: z.iso.date(), items: z.array(Appointment) })
  .openapi('AppointmentDay');
export const AppointmentStatusChange = Appointment.pick({
  id: true,
  startsAt: true,
  status: true,
  patientId: true,
}).openapi('AppointmentStatusChange');

export const ReminderPlan = z
  .strictObject({
    state: z.enum(['scheduled', 'outbox', 'inline', 'dropped', 'none']).openapi({
      description:
        'scheduled: a delayed job in Redis; outbox: Redis was unavailable, enqueued once it is back; inline: DISABLE_BACKGROUND_JOBS (a timer in this process); dropped: background jobs off, no reminder; none: cancelled, completed or already started',
    }),
    dueAt: isoDateTime.nullable(),
  })
  .openapi('ReminderPlan');
// New objects from the shapes: `.extend` of a registered schema is rendered as an allOf whose
// first part (additionalProperties: false) refuses the added field.
export const BookedAppointment = z
  .strictObject({ ...Appointment.shape, reminder: ReminderPlan })
  .openapi('BookedAppointment');
export const AppointmentChange = z
  .strictObject({ ...AppointmentStatusChange.shape, reminder: ReminderPlan })
  .openapi('AppointmentChange');
export const AppointmentReminders = z
  .strictObject({
    appointmentId: int,
    startsAt: isoDateTime,
    status: appointmentStatus,
    nextReminderAt: isoDateTime.nullable(),
    sent: z.array(
      z.strictObject({
        id: int,
        startsAt: isoDateTime.openapi({
          description: 'The start time the patient was reminded of',
        }),
        channel: z.enum(['email']),
        recipient: z.string(),
        sentAt: isoDateTime,
      }),
    ),
  })
  .openapi('AppointmentReminders');
export const FollowUpList = z
  .strictObject({
    items: z.array(
      z.strictObject({
        treatmentId: int,
        dueAt: isoDateTime,
        checkedAt: isoDateTime.nullable(),
        outcome: z.enum(['booked', 'call-patient']).nullable(),
        appointmentId: int.nullable(),
      }),
    ),
  })
  .openapi('FollowUpList');

export const StaffList = z
  .strictObject({
    items: z.array(
      z.strictObject({
        id: int,
        name: z.string(),
        role: z.enum(['dentist', 'hygienist', 'receptionist', 'admin']),
        email: z.string(),
      }),
    ),
  })
  .openapi('StaffList');

export const DashboardStats = z
  .strictObject({
    patients: int,
    appointmentsToday: int,
    upcomingAppointments: int,
    cancelledRatePercent: z.number(),
    revenueByMonth: z.array(
      z.strictObject({
        month: z.string().regex(/^\d{4}-\d{2}$/),
        billedCents: int,
        paidCents: int,
        openCents: int,
      }),
    ),
    staffPerformance: z.array(
      z.strictObject({ staffId: int, name: z.string(), completed: int, revenueCents: int }),
    ),
    byReason: z.array(z.strictObject({ reason: z.string(), count: int, avgCostCents: int })),
    generatedAt: isoDateTime,
  })
  .openapi('DentalDashboardStats');
