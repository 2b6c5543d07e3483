import type { EnqueueState, JobContext, JobQueues } from '@redis-toolkit/jobs';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AppointmentStatusJob } from '../jobs/clinical-types.js';
import type { AlertHub } from './alerts.js';
import { raiseJobAlert } from './notify.js';

type StatusQueue = Pick<
  JobQueues<{ 'appointment-status': AppointmentStatusJob }>,
  'add' | 'schedule' | 'cancel'
>;

export const statusKey = (appointmentId: number, status: AppointmentStatusJob['status']) =>
  `care-appointment:${appointmentId}:${status}`;

const columns = [
  'id',
  'client_id as clientId',
  'title',
  'starts_at as startsAt',
  'status',
  'updated_at as updatedAt',
] as const;

const present = (row: {
  id: number;
  clientId: number;
  title: string;
  startsAt: Date;
  status: 'scheduled' | 'due' | 'completed' | 'cancelled';
  updatedAt: Date;
}) => ({
  ...row,
  startsAt: new Date(row.startsAt).toISOString(),
  updatedAt: new Date(row.updatedAt).toISOString(),
});

/**
 * A care client's appointments (GP, pharmacy review…). Their status changes travel as
 * `appointment-status` jobs: `due` is a delayed job at the start time, `completed`/`cancelled`
 * are enqueued when the carer records them; the handler pushes each to the carer's SSE alert
 * stream (care/alerts.ts), on whichever instance the carer is connected to.
 */
export function careAppointments(db: Kysely<Database>, jobs: StatusQueue) {
  return {
    list(clientId: number) {
      return db
        .selectFrom('care_appointments')
        .select(columns)
        .where('client_id', '=', clientId)
        .orderBy('starts_at', 'desc')
        .limit(100)
        .execute()
        .then((rows) => rows.map(present));
    },

    async create(clientId: number, input: { title: string; startsAt: string }) {
      const row = await db
        .insertInto('care_appointments')
        .values({
          client_id: clientId,
          title: input.title,
          starts_at: input.startsAt,
          status: 'scheduled',
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      const { state } = await jobs.schedule(
        'appointment-status',
        { appointmentId: row.id, status: 'due' },
        { key: statusKey(row.id, 'due'), at: new Date(row.startsAt) },
      );
      return { ...present(row), statusJob: state };
    },

    /** Undefined: no such appointment for this client. */
    async setStatus(
      clientId: number,
      appointmentId: number,
      status: 'completed' | 'cancelled',
    ): Promise<(ReturnType<typeof present> & { statusJob: EnqueueState }) | undefined> {
      const row = await db
        .updateTable('care_appointments')
        .set({ status, updated_at: new Date() })
        .where('client_id', '=', clientId)
        .where('id', '=', appointmentId)
        .returning(columns)
        .executeTakeFirst();
      if (!row) return undefined;
      // Its start no longer matters: the pending "due" update would be wrong.
      await jobs.cancel('appointment-status', statusKey(appointmentId, 'due'));
      const { state } = await jobs.add(
        'appointment-status',
        { appointmentId, status },
        { key: statusKey(appointmentId, status) },
      );
      return { ...present(row), statusJob: state };
    },
  };
}

export type CareAppointments = ReturnType<typeof careAppointments>;

/**
 * The `appointment-status` handler. `due` moves a still-scheduled appointment to `due`; a
 * `completed`/`cancelled` job is only pushed while it is still the appointment's status (a
 * stale job, overtaken by a later change, pushes nothing). The alert names the appointment.
 */
export function appointmentStatusHandler(db: Kysely<Database>, alerts: AlertHub) {
  return async (
    job: Pick<JobContext<AppointmentStatusJob>, 'data'>,
  ): Promise<'pushed' | 'skipped'> => {
    const { appointmentId, status } = job.data;
    const row =
      status === 'due'
        ? await db
            .updateTable('care_appointments')
            .set({ status: 'due', updated_at: new Date() })
            .where('id', '=', appointmentId)
            .where('status', '=', 'scheduled')
            .returning(['client_id as clientId', 'title', 'starts_at as startsAt'])
            .executeTakeFirst()
        : await db
            .selectFrom('care_appointments')
            .select(['client_id as clientId', 'title', 'starts_at as startsAt'])
            .where('id', '=', appointmentId)
            .where('status', '=', status)
            .executeTakeFirst();
    if (!row) return 'skipped';
    await raiseJobAlert(db, alerts, {
      clientId: row.clientId,
      severity: 'info',
      message: `Appointment ${appointmentId} “${row.title}” at ${new Date(row.startsAt).toISOString()}: ${status}`,
    });
    return 'pushed';
  };
}
