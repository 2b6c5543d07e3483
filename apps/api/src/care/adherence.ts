import {
  type EnqueueState,
  type JobContext,
  type JobQueues,
  JobsUnavailableError,
} from '@redis-toolkit/jobs';
import { type Kysely, sql } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../db/schema.js';
import type { AdherenceCheckJob, MedicationReminderJob } from '../jobs/clinical-types.js';
import type { AlertHub } from './alerts.js';
import { dayStartOf, dosesBetween, parseTimes, utcDay } from './doses.js';
import { type CareMedication, medicationColumns } from './medication.js';
import { raiseJobAlert } from './notify.js';

type AdherenceQueues = Pick<
  JobQueues<{ 'adherence-check': AdherenceCheckJob; 'medication-reminder': MedicationReminderJob }>,
  'add' | 'repeat'
>;

/** The one job scheduler of the daily check: the same id from every instance is stored once. */
export const ADHERENCE_SCHEDULER_ID = 'adherence-check:daily';
const DAY_MS = 86_400_000;

/**
 * Daily medication adherence per care client. One repeatable job (`repeat`, CARE_ADHERENCE_CRON,
 * UTC) fans out one `adherence-check` job per client with medications, keyed by client and day,
 * for the day before; each compares the doses due that day with the doses carers recorded as
 * taken and stores the result in `care_adherence` (GET /care/clients/:id/adherence). Missed doses
 * on a finished day raise a `warning` alert on the carer's stream.
 */
export function careAdherence(db: Kysely<Database>, jobs: AdherenceQueues) {
  return {
    /** Stores the daily scheduler; retried every 30 s while Redis cannot take it, until `stop()`. */
    startScheduler(pattern: string, logger: Logger): { stop(): void } {
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      let warned = false;
      const attempt = () => {
        if (stopped) return;
        jobs
          .repeat('adherence-check', { pattern, tz: 'UTC' }, {}, { id: ADHERENCE_SCHEDULER_ID })
          .catch((error: unknown) => {
            // an attempt still out when the instance stopped: nothing more to do or say
            if (stopped) return;
            // only an outage is worth waiting out (a closed instance or a bad pattern is not)
            if (!(error instanceof JobsUnavailableError)) {
              logger.error(
                { err: error instanceof Error ? error.message : String(error) },
                'adherence-check scheduler not stored',
              );
              return;
            }
            if (!warned)
              logger.warn(
                { err: error instanceof Error ? error.message : String(error) },
                'adherence-check scheduler not stored yet (Redis unavailable); retrying every 30 s',
              );
            warned = true;
            timer = setTimeout(attempt, 30_000);
            timer.unref();
          });
      };
      attempt();
      return {
        stop() {
          stopped = true;
          if (timer) clearTimeout(timer);
        },
      };
    },

    /** Runs the check of one client and day now (a carer's request); `day` defaults to today. */
    check(clientId: number, day: string): Promise<{ state: EnqueueState }> {
      return jobs.add('adherence-check', { clientId, day });
    },

    async of(clientId: number) {
      const rows = await db
        .selectFrom('care_adherence')
        .select([
          sql<string>`to_char(day, 'YYYY-MM-DD')`.as('day'),
          'due',
          'taken',
          'checked_at as checkedAt',
        ])
        .where('client_id', '=', clientId)
        .orderBy('day', 'desc')
        .limit(31)
        .execute();
      return rows.map((r) => ({
        day: r.day,
        due: r.due,
        taken: r.taken,
        missed: Math.max(0, r.due - r.taken),
        ratePercent: r.due === 0 ? 100 : Math.round((1000 * r.taken) / r.due) / 10,
        checkedAt: new Date(r.checkedAt).toISOString(),
      }));
    },
  };
}

export type CareAdherence = ReturnType<typeof careAdherence>;

/**
 * The `adherence-check` handler. Without `clientId` it is the scheduler's daily tick: it enqueues
 * one check per client for yesterday (keyed, so a tick run twice enqueues each once) and re-arms
 * every medication's next reminder (a no-op when it is queued: a chain lost with Redis data
 * restarts within a day). With `clientId` it checks that client's `day` (up to now for today).
 */
export function adherenceCheckHandler(
  db: Kysely<Database>,
  jobs: AdherenceQueues,
  alerts: AlertHub,
  medication: CareMedication,
) {
  return async (
    job: Pick<JobContext<AdherenceCheckJob>, 'data'>,
  ): Promise<{ clients: number } | { due: number; taken: number }> => {
    const now = Date.now();
    if (job.data.clientId === undefined) {
      const day = job.data.day ?? utcDay(now - DAY_MS);
      const medications = await db
        .selectFrom('care_medications')
        .select(medicationColumns)
        .execute();
      const clients = [...new Set(medications.map((m) => m.clientId))];
      for (const clientId of clients) {
        await jobs.add(
          'adherence-check',
          { clientId, day },
          { key: `adherence:${clientId}:${day}` },
        );
      }
      for (const m of medications) await medication.scheduleNext(m, now);
      return { clients: clients.length };
    }

    const clientId = job.data.clientId;
    const day = job.data.day ?? utcDay(now);
    const from = dayStartOf(day);
    const to = Math.min(from + DAY_MS, now);
    const medications = await db
      .selectFrom('care_medications')
      .select(['id', 'name', 'times', sql<string>`to_char(starts_on, 'YYYY-MM-DD')`.as('startsOn')])
      .where('client_id', '=', clientId)
      .execute();
    let due = 0;
    for (const m of medications) {
      due += dosesBetween({ times: parseTimes(m.times), startsOn: m.startsOn }, from, to).length;
    }
    const takenRow =
      medications.length === 0
        ? { n: '0' }
        : await db
            .selectFrom('care_doses')
            .select(db.fn.countAll<string>().as('n'))
            .where(
              'medication_id',
              'in',
              medications.map((m) => m.id),
            )
            .where('taken_at', 'is not', null)
            .where('dose_at', '>=', new Date(from))
            .where('dose_at', '<', new Date(to))
            .executeTakeFirstOrThrow();
    const taken = Math.min(due, Number(takenRow.n));
    const previous = await db
      .selectFrom('care_adherence')
      .select(['due', 'taken'])
      .where('client_id', '=', clientId)
      .where('day', '=', day)
      .executeTakeFirst();
    await db
      .insertInto('care_adherence')
      .values({ client_id: clientId, day, due, taken, checked_at: new Date() })
      .onConflict((oc) =>
        oc.columns(['client_id', 'day']).doUpdateSet({ due, taken, checked_at: new Date() }),
      )
      .execute();
    // Alert once per finished day with missed doses (a rerun with the same figures stays quiet).
    const finished = from + DAY_MS <= now;
    const unchanged = previous?.due === due && previous.taken === taken;
    if (finished && due > taken && !unchanged) {
      await raiseJobAlert(db, alerts, {
        clientId,
        severity: 'warning',
        message: `Medication adherence ${day}: ${due - taken} of ${due} doses not recorded as taken`,
      });
    }
    return { due, taken };
  };
}
