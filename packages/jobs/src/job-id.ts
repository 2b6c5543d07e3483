import { randomUUID } from 'node:crypto';
import { durationOption, encodeKeySegment } from '@redis-toolkit/connection';
import { JobsInputError } from './errors.js';
import type { When } from './types.js';

const inputError = (field: string, message: string) => new JobsInputError(field, message);

/**
 * The job id for a caller's key. BullMQ refuses ':' in custom ids and integer-looking ids, so the
 * key is percent-encoded (':' → %3A, braces, whitespace…) and prefixed with `k-`, which also keeps
 * it apart from the `u-` ids of key-less jobs.
 */
export function jobIdFor(key: string | number | undefined): string {
  if (key === undefined) return `u-${randomUUID()}`;
  if ((typeof key !== 'string' && typeof key !== 'number') || key === '') {
    throw inputError('key', 'key must be a non-empty string or a number');
  }
  return `k-${encodeKeySegment(key)}`;
}

/** Milliseconds from now until `when` (0 when it is in the past). */
export function delayOf(when: When | undefined, now = Date.now()): number {
  if (when === undefined) return 0;
  if (when.at !== undefined) {
    const at = when.at instanceof Date ? when.at.getTime() : when.at;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      throw inputError('at', 'at must be a Date or epoch milliseconds');
    }
    return Math.max(0, at - now);
  }
  if (when.delay !== undefined) return durationOption(when.delay, 'delay', 0, inputError);
  throw inputError('at', 'give `at` (Date or epoch ms) or `delay`');
}
