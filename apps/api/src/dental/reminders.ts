import type { EnqueueState, JobContext, JobQueues } from '@redis-toolkit/jobs';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AppointmentReminderJob, FollowUpMonitorJob } from '../jobs/clinical-types.js';

/** The dental queues and their job data (jobs/clinical-types.ts). */
export interface DentalJobs {
  'appointment-reminder': AppointmentReminderJob;
  'follow-up-monitor': FollowUpMonitorJob;
}

/** What the routes need of the job queues (the app's `JobQueues` has more queues). */
export type DentalScheduler = Pick<JobQueues<DentalJobs>, 'schedule' | 'cancel' | 'reschedule'>;

/**
 * `scheduled`: a delayed job in Redis; `outbox`: Redis was unavailable, the job waits in the
 * database outbox and is enqueued (once) when Redis is back; `inline`: DISABLE_BACKGROUND_JOBS,
 * a timer in this process; `dropped`: jobs are off and nothing will remind; `none`: no reminder
 * (the appointment is cancelled, completed or has already started).
 */
export type ReminderState = Exclude<EnqueueState, 'queued'> | 'scheduled' | 'none';

export interface ReminderPlan {
  state: ReminderState;
  /** When the reminder goes out (ISO); null with `none`. */
  dueAt: string | null;
}

/** The job key: one reminder per appointment, whatever moves it goes through. */
export const reminderKey = (appointmentId: number) => `appointment:${appointmentId}`;

/**
 * When the reminder of an appointment starting at `startsAt` goes out: `leadMs` before it, or at
 * once when the booking is already closer than that (a booking for this afternoon is still
 * reminded); undefined once it has started (nothing left to remind of).
 */
export function reminderDueAt(
  startsAt: Date,
  leadMs: number,
  now = Date.now(),
): number | undefined {
  const starts = startsAt.getTime();
  if (starts <= now) return undefined;
  return Math.max(now, starts - leadMs);
}

export interface AppointmentState {
  id: number;
  startsAt: Date | string;
  status: 'scheduled' | 'completed' | 'cancelled';
}

export function dentalReminders(db: Kysely<Database>, jobs: DentalScheduler, leadMs: number) {
  const record = (id: number, dueAt: number | undefined) =>
    db
      .updateTable('appointments')
      .set({ reminder_due_at: dueAt === undefined ? null : new Date(dueAt) })
      .where('id', '=', id)
      .execute();

  return {
    /**
     * Brings the appointment's reminder job in line with the row as it is now: scheduled at
     * booking, moved with the appointment, removed when it is cancelled or completed. Safe to call
     * again (a retried request): the job id is the appointment's key, so it is enqueued once.
     * `existing`: the appointment may have a job to move or remove (a change). A retried
     * booking is not one: scheduling under the same key again is a no-op, and unlike a move it
     * also works while Redis is unavailable (the outbox takes it, once).
     */
    async plan(appointment: AppointmentState, existing: boolean): Promise<ReminderPlan> {
      const key = reminderKey(appointment.id);
      const due =
        appointment.status === 'scheduled'
          ? reminderDueAt(new Date(appointment.startsAt), leadMs)
          : undefined;
      // The plan is written first: should Redis refuse the move or the removal below (503, the
      // client retries), the handler still sees the time the reminder is meant for.
      await record(appointment.id, due);
      if (due === undefined) {
        if (existing) await jobs.cancel('appointment-reminder', key);
        return { state: 'none', dueAt: null };
      }
      // A delayed job is moved in place; when there is none (it already ran, or was cancelled
      // with the appointment) a new one is added under the same key.
      if (existing && (await jobs.reschedule('appointment-reminder', key, { at: due }))) {
        return { state: 'scheduled', dueAt: new Date(due).toISOString() };
      }
      const { state } = await jobs.schedule(
        'appointment-reminder',
        { appointmentId: appointment.id },
        { key, at: due },
      );
      return {
        state: state === 'queued' ? 'scheduled' : state,
        dueAt: new Date(due).toISOString(),
      };
    },

    /** The reminders sent for an appointment and the next one planned; `patientId` for the audit. */
    async of(appointmentId: number) {
      const appointment = await db
        .selectFrom('appointments')
        .select([
          'id',
          'patient_id as patientId',
          'starts_at as startsAt',
          'status',
          'reminder_due_at as reminderDueAt',
        ])
        .where('id', '=', appointmentId)
        .executeTakeFirst();
      if (!appointment) return undefined;
      const sent = await db
        .selectFrom('dental_reminders')
        .select(['id', 'starts_at as startsAt', 'channel', 'recipient', 'sent_at as sentAt'])
        .where('appointment_id', '=', appointmentId)
        .orderBy('sent_at', 'desc')
        .execute();
      const startsAt = new Date(appointment.startsAt).toISOString();
      const alreadySent = sent.some((s) => new Date(s.startsAt).toISOString() === startsAt);
      return {
        patientId: appointment.patientId,
        view: {
          appointmentId,
          startsAt,
          status: appointment.status,
          nextReminderAt:
            appointment.status === 'scheduled' && appointment.reminderDueAt && !alreadySent
              ? new Date(appointment.reminderDueAt).toISOString()
              : null,
          sent: sent.map((s) => ({
            id: s.id,
            startsAt: new Date(s.startsAt).toISOString(),
            channel: s.channel,
            recipient: s.recipient,
            sentAt: new Date(s.sentAt).toISOString(),
          })),
        },
      };
    },
  };
}

export type DentalReminders = ReturnType<typeof dentalReminders>;

export type ReminderOutcome = 'sent' | 'already-sent' | 'skipped';

/** Clock differences between instances and Redis are well under this. */
const EARLY_TOLERANCE_MS = 60_000;

/**
 * The `appointment-reminder` handler. It reads the appointment when it runs (the job carries only
 * the id), so a move that happened after scheduling is what the patient is reminded of, and a
 * cancelled or past appointment is skipped. "Sending" records the reminder (channel `email`, to
 * the patient's address) in `dental_reminders`; one row per appointment and start time, so a job
 * run twice (at-least-once delivery) reminds once.
 */
export function appointmentReminderHandler(db: Kysely<Database>) {
  return async (
    job: Pick<JobContext<DentalJobs['appointment-reminder']>, 'data'>,
  ): Promise<ReminderOutcome> => {
    const row = await db
      .selectFrom('appointments')
      .innerJoin('patients', 'patients.id', 'appointments.patient_id')
      .select([
        'appointments.starts_at as startsAt',
        'appointments.status',
        'appointments.reminder_due_at as dueAt',
        'patients.email',
      ])
      .where('appointments.id', '=', job.data.appointmentId)
      .executeTakeFirst();
    const now = Date.now();
    if (row?.status !== 'scheduled' || new Date(row.startsAt).getTime() <= now) return 'skipped';
    // Planned later than now: a move whose reschedule Redis refused (the route answered 503 and
    // the client's retry moves this job); reminding now would be early.
    if (row.dueAt && new Date(row.dueAt).getTime() > now + EARLY_TOLERANCE_MS) return 'skipped';
    const inserted = await db
      .insertInto('dental_reminders')
      .values({
        appointment_id: job.data.appointmentId,
        starts_at: row.startsAt,
        channel: 'email',
        recipient: row.email,
      })
      .onConflict((oc) => oc.columns(['appointment_id', 'starts_at']).doNothing())
      .returning('id')
      .executeTakeFirst();
    return inserted ? 'sent' : 'already-sent';
  };
}
