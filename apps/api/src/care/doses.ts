/**
 * Dose times: a medication is taken every day at fixed UTC times (`HH:MM`) from its start date.
 * Pure functions of the schedule, shared by the reminders, the carer's "taken" record and the
 * adherence check, so all three agree on which doses exist.
 */

export interface DoseSchedule {
  /** Sorted `HH:MM` (UTC). */
  times: readonly string[];
  /** `YYYY-MM-DD`: the first day with doses. */
  startsOn: string;
}

const DAY_MS = 86_400_000;

const minutesOf = (time: string): number => {
  const [h, m] = time.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

export const dayStart = (ms: number): number => Math.floor(ms / DAY_MS) * DAY_MS;
export const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const dayStartOf = (day: string): number => Date.parse(`${day}T00:00:00.000Z`);

/** Every dose time in `[from, to)`, oldest first. */
export function dosesBetween(schedule: DoseSchedule, from: number, to: number): number[] {
  const first = Math.max(dayStart(from), dayStartOf(schedule.startsOn));
  const out: number[] = [];
  for (let day = first; day < to; day += DAY_MS) {
    for (const time of schedule.times) {
      const at = day + minutesOf(time) * 60_000;
      if (at >= from && at < to) out.push(at);
    }
  }
  return out;
}

/** The first dose strictly after `after`. */
export function nextDoseAfter(schedule: DoseSchedule, after: number): number | undefined {
  // Doses are daily, so one is always within the next two days of the later of `after` and the start.
  const from = Math.max(after + 1, dayStartOf(schedule.startsOn));
  return dosesBetween(schedule, from, from + 2 * DAY_MS)[0];
}

/** The latest dose at or before `until`. */
export function lastDoseAtOrBefore(schedule: DoseSchedule, until: number): number | undefined {
  const doses = dosesBetween(schedule, until - 2 * DAY_MS, until + 1);
  return doses[doses.length - 1];
}

export const isDose = (schedule: DoseSchedule, at: number): boolean =>
  dosesBetween(schedule, at, at + 1).length === 1;

export const parseTimes = (stored: string): string[] => stored.split(',').filter(Boolean);
