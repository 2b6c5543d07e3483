/** Units a duration string may carry. */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

/**
 * The one duration rule of the whole toolkit: a number is SECONDS (`300`, `0.5`); a string is a
 * number with a unit (`'500ms'`, `'30s'`, `'15m'`, `'1h'`, `'7d'`, a space before the unit is
 * allowed), or a bare numeric string, which is seconds too.
 */
export type Duration =
  | number
  | `${number}`
  | `${number}${DurationUnit}`
  | `${number} ${DurationUnit}`;

/** The expected form, for error messages that name a field. */
export const DURATION_FORM =
  "seconds as a number, or a string like '500ms', '30s', '15m', '1h', '7d'";

const UNIT_MS: Record<DurationUnit, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};
const PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;

/** Milliseconds for a valid duration (rounded), or `undefined` for anything else; packages wrap it with their own typed error. */
export function durationToMs(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = PATTERN.exec(value);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNIT_MS[(match[2] ?? 's') as DurationUnit];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
