import type { EnqueueState, JobContext } from '@redis-toolkit/jobs';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { DentalJobs, DentalScheduler } from './reminders.js';

export const followUpKey = (treatmentId: number) => `treatment:${treatmentId}`;

/**
 * After a treatment, the clinic wants the patient back: a `follow-up-monitor` job runs
 * `delayMs` later (DENTAL_FOLLOW_UP_AFTER) and looks for an appointment booked after the
 * treatment. Its outcome (`booked`, or `call-patient` for the front desk) is written to
 * `dental_follow_ups`, read by GET /dental/patients/:id/follow-ups.
 */
export function dentalFollowUps(db: Kysely<Database>, jobs: DentalScheduler, delayMs: number) {
  return {
    /** Records the planned follow-up and schedules its check (once per treatment). */
    async plan(treatment: {
      id: number;
      patientId: number;
      performedAt: Date | string;
    }): Promise<{ dueAt: string; state: EnqueueState }> {
      const due = new Date(new Date(treatment.performedAt).getTime() + delayMs);
      await db
        .insertInto('dental_follow_ups')
        .values({ treatment_id: treatment.id, patient_id: treatment.patientId, due_at: due })
        .onConflict((oc) => oc.column('treatment_id').doNothing())
        .execute();
      const { state } = await jobs.schedule(
        'follow-up-monitor',
        { treatmentId: treatment.id },
        { key: followUpKey(treatment.id), at: due },
      );
      return { dueAt: due.toISOString(), state };
    },

    async of(patientId: number) {
      const rows = await db
        .selectFrom('dental_follow_ups')
        .select([
          'treatment_id as treatmentId',
          'due_at as dueAt',
          'checked_at as checkedAt',
          'outcome',
          'appointment_id as appointmentId',
        ])
        .where('patient_id', '=', patientId)
        .orderBy('due_at', 'desc')
        .limit(100)
        .execute();
      return rows.map((r) => ({
        treatmentId: r.treatmentId,
        dueAt: new Date(r.dueAt).toISOString(),
        checkedAt: r.checkedAt ? new Date(r.checkedAt).toISOString() : null,
        outcome: r.outcome,
        appointmentId: r.appointmentId,
      }));
    },
  };
}

export type DentalFollowUps = ReturnType<typeof dentalFollowUps>;

/**
 * The `follow-up-monitor` handler: an appointment of the patient's that starts after the
 * treatment and is not cancelled counts as booked. Idempotent: a follow-up already checked is
 * left as it is (a job run twice does not flip the outcome).
 */
export function followUpHandler(db: Kysely<Database>) {
  return async (
    job: Pick<JobContext<DentalJobs['follow-up-monitor']>, 'data'>,
  ): Promise<'booked' | 'call-patient' | 'skipped'> => {
    const followUp = await db
      .selectFrom('dental_follow_ups')
      .innerJoin('treatments', 'treatments.id', 'dental_follow_ups.treatment_id')
      .select([
        'dental_follow_ups.patient_id as patientId',
        'dental_follow_ups.checked_at as checkedAt',
        'treatments.performed_at as performedAt',
      ])
      .where('dental_follow_ups.treatment_id', '=', job.data.treatmentId)
      .executeTakeFirst();
    if (!followUp || followUp.checkedAt) return 'skipped';
    const next = await db
      .selectFrom('appointments')
      .select('id')
      .where('patient_id', '=', followUp.patientId)
      .where('status', '!=', 'cancelled')
      .where('starts_at', '>', followUp.performedAt)
      .orderBy('starts_at')
      .executeTakeFirst();
    const outcome = next ? 'booked' : 'call-patient';
    await db
      .updateTable('dental_follow_ups')
      .set({ checked_at: sql`now()`, outcome, appointment_id: next?.id ?? null })
      .where('treatment_id', '=', job.data.treatmentId)
      .where('checked_at', 'is', null)
      .execute();
    return outcome;
  };
}
