import type { EnqueueState, JobContext, JobQueues } from '@redis-toolkit/jobs';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import type { MedicationReminderJob } from '../jobs/clinical-types.js';
import type { AlertHub } from './alerts.js';
import {
  type DoseSchedule,
  isDose,
  lastDoseAtOrBefore,
  nextDoseAfter,
  parseTimes,
  utcDay,
} from './doses.js';
import { raiseJobAlert } from './notify.js';

export type MedicationScheduler = Pick<
  JobQueues<{ 'medication-reminder': MedicationReminderJob }>,
  'schedule'
>;

/** One key per dose: the chain, a retry and the daily safety net all schedule a dose once. */
export const doseKey = (medicationId: number, doseAt: number) =>
  `medication:${medicationId}:${doseAt}`;

/** How early a carer may record a dose as taken. */
const TAKEN_EARLY_MS = 60 * 60_000;

export interface MedicationRow {
  id: number;
  clientId: number;
  name: string;
  dose: string;
  times: string;
  startsOn: string;
}

const scheduleOf = (m: Pick<MedicationRow, 'times' | 'startsOn'>): DoseSchedule => ({
  times: parseTimes(m.times),
  startsOn: m.startsOn,
});

/** A medication row as its handlers and the adherence check read it. */
export const medicationColumns = [
  'id',
  'client_id as clientId',
  'name',
  'dose',
  'times',
  sql<string>`to_char(starts_on, 'YYYY-MM-DD')`.as('startsOn'),
] as const;

/**
 * Medications of care clients and their `medication-reminder` jobs: each dose gets a delayed job
 * `leadMs` (CARE_MEDICATION_REMINDER_LEAD) before it; when it runs it records the reminder, alerts
 * the carer and schedules the next dose, so a medication always has its next reminder queued.
 */
export function careMedication(db: Kysely<Database>, jobs: MedicationScheduler, leadMs: number) {
  const get = (clientId: number, medicationId: number) =>
    db
      .selectFrom('care_medications')
      .select(medicationColumns)
      .where('client_id', '=', clientId)
      .where('id', '=', medicationId)
      .executeTakeFirst();

  const service = {
    /** Schedules the reminder of the first dose after `after` (idempotent by dose). */
    async scheduleNext(
      medication: MedicationRow,
      after = Date.now(),
    ): Promise<{ doseAt: string | null; state: EnqueueState | 'none' }> {
      const doseAt = nextDoseAfter(scheduleOf(medication), after);
      if (doseAt === undefined) return { doseAt: null, state: 'none' };
      const { state } = await jobs.schedule(
        'medication-reminder',
        { medicationId: medication.id, doseAt: new Date(doseAt).toISOString() },
        { key: doseKey(medication.id, doseAt), at: Math.max(Date.now(), doseAt - leadMs) },
      );
      return { doseAt: new Date(doseAt).toISOString(), state };
    },

    async create(
      clientId: number,
      input: { name: string; dose: string; times: string[]; startsOn?: string | undefined },
    ) {
      const medication = await db
        .insertInto('care_medications')
        .values({
          client_id: clientId,
          name: input.name,
          dose: input.dose,
          times: [...new Set(input.times)].sort().join(','),
          starts_on: input.startsOn ?? utcDay(Date.now()),
        })
        .returning(medicationColumns)
        .executeTakeFirstOrThrow();
      const reminder = await service.scheduleNext(medication);
      return { ...present(medication), nextDoseAt: reminder.doseAt, reminder: reminder.state };
    },

    /** This client's medications with their latest doses (reminded and/or taken). */
    async of(clientId: number) {
      const medications = await db
        .selectFrom('care_medications')
        .select(medicationColumns)
        .where('client_id', '=', clientId)
        .orderBy('id')
        .execute();
      if (medications.length === 0) return [];
      const doses = await db
        .selectFrom('care_doses')
        .select([
          'medication_id as medicationId',
          'dose_at as doseAt',
          'reminded_at as remindedAt',
          'taken_at as takenAt',
        ])
        .where(
          'medication_id',
          'in',
          medications.map((m) => m.id),
        )
        .where('dose_at', '>', new Date(Date.now() - 7 * 86_400_000))
        .orderBy('dose_at', 'desc')
        .execute();
      const now = Date.now();
      return medications.map((m) => ({
        ...present(m),
        nextDoseAt: isoOrNull(nextDoseAfter(scheduleOf(m), now)),
        doses: doses
          .filter((d) => d.medicationId === m.id)
          .slice(0, 20)
          .map((d) => ({
            doseAt: new Date(d.doseAt).toISOString(),
            remindedAt: d.remindedAt ? new Date(d.remindedAt).toISOString() : null,
            takenAt: d.takenAt ? new Date(d.takenAt).toISOString() : null,
          })),
      }));
    },

    /**
     * A carer's record that a dose was taken: `doseAt` must be one of the medication's dose
     * times (default: the latest one, up to an hour early). Recording it again keeps the first time.
     */
    async taken(
      clientId: number,
      medicationId: number,
      carerId: number,
      doseAt: string | undefined,
    ): Promise<
      | { ok: true; dose: { medicationId: number; doseAt: string; takenAt: string } }
      | { ok: false; reason: 'no-medication' | 'not-a-dose' }
    > {
      const medication = await get(clientId, medicationId);
      if (!medication) return { ok: false, reason: 'no-medication' };
      const schedule = scheduleOf(medication);
      const latest = Date.now() + TAKEN_EARLY_MS;
      const at = doseAt === undefined ? lastDoseAtOrBefore(schedule, latest) : Date.parse(doseAt);
      if (at === undefined || !isDose(schedule, at) || at > latest)
        return { ok: false, reason: 'not-a-dose' };
      const row = await db
        .insertInto('care_doses')
        .values({
          medication_id: medicationId,
          dose_at: new Date(at),
          taken_at: sql`now()`,
          taken_by: carerId,
        })
        .onConflict((oc) =>
          oc.columns(['medication_id', 'dose_at']).doUpdateSet({
            taken_at: sql`coalesce(care_doses.taken_at, excluded.taken_at)`,
            taken_by: sql`coalesce(care_doses.taken_by, excluded.taken_by)`,
          }),
        )
        .returning(['taken_at as takenAt'])
        .executeTakeFirstOrThrow();
      return {
        ok: true,
        dose: {
          medicationId,
          doseAt: new Date(at).toISOString(),
          takenAt: new Date(row.takenAt as Date).toISOString(),
        },
      };
    },
  };
  return service;
}

export type CareMedication = ReturnType<typeof careMedication>;

const isoOrNull = (ms: number | undefined) =>
  ms === undefined ? null : new Date(ms).toISOString();

const present = (m: MedicationRow) => ({
  id: m.id,
  clientId: m.clientId,
  name: m.name,
  dose: m.dose,
  times: parseTimes(m.times),
  startsOn: m.startsOn,
});

/**
 * The `medication-reminder` handler: records that the dose was reminded (once per dose, so a job
 * run twice alerts once), raises an `info` alert on the carer's SSE stream, then schedules the
 * next dose's reminder. A medication deleted meanwhile ends its chain.
 */
export function medicationReminderHandler(
  db: Kysely<Database>,
  alerts: AlertHub,
  medication: CareMedication,
) {
  return async (
    job: Pick<JobContext<MedicationReminderJob>, 'data'>,
  ): Promise<'reminded' | 'already-reminded' | 'skipped'> => {
    const row = await db
      .selectFrom('care_medications')
      .innerJoin('care_clients', 'care_clients.id', 'care_medications.client_id')
      .select([
        'care_medications.id',
        'care_medications.client_id as clientId',
        'care_medications.name',
        'care_medications.dose',
        'care_medications.times',
        sql<string>`to_char(care_medications.starts_on, 'YYYY-MM-DD')`.as('startsOn'),
        'care_clients.name as clientName',
      ])
      .where('care_medications.id', '=', job.data.medicationId)
      .executeTakeFirst();
    if (!row) return 'skipped';
    const doseAt = new Date(job.data.doseAt);
    const fresh = await db
      .insertInto('care_doses')
      .values({ medication_id: row.id, dose_at: doseAt, reminded_at: sql`now()` })
      .onConflict((oc) =>
        oc
          .columns(['medication_id', 'dose_at'])
          .doUpdateSet({ reminded_at: sql`excluded.reminded_at` })
          .where('care_doses.reminded_at', 'is', null),
      )
      .returning('medication_id')
      .executeTakeFirst();
    if (fresh) {
      await raiseJobAlert(db, alerts, {
        clientId: row.clientId,
        severity: 'info',
        message: `Medication due at ${doseAt.toISOString().slice(11, 16)} UTC: ${row.name} ${row.dose} for ${row.clientName}`,
      });
    }
    // Late (the app was down): carry on from now instead of reminding of every dose missed.
    await medication.scheduleNext(row, Math.max(doseAt.getTime(), Date.now()));
    return fresh ? 'reminded' : 'already-reminded';
  };
}
