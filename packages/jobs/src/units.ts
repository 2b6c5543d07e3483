import { type Duration, durationOption } from '@redis-toolkit/connection';
import { JobsInputError } from './errors.js';

/** A duration given at call time, in ms; a bad one is the caller's error (4xx), naming the field. */
export function durationOrThrow(value: Duration, field: string): number {
  return durationOption(value, field, 0, (f, m) => new JobsInputError(f, m));
}
