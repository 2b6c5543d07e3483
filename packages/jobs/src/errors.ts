import { ToolkitError } from '@redis-toolkit/connection';

/** An option is missing, unknown or has the wrong form; `field` names it. Thrown at creation. */
export class JobsConfigError extends ToolkitError {
  static override readonly code = 'E_JOBS_CONFIG';
  constructor(field: string, message: string) {
    super(`jobs: ${message}`, { field });
  }
}

/** A call names a queue that `createQueues` was not given, or passes a bad key/time (a caller bug: 4xx). */
export class JobsInputError extends ToolkitError {
  static override readonly code = 'E_JOBS_INPUT';
  /** HTTP status a framework should use if this error reaches its error handler. */
  readonly status = 400;
  readonly statusCode = 400;
  constructor(field: string, message: string) {
    super(`jobs: ${message}`, { field });
  }
}

/**
 * Redis is unavailable and no outbox accepted the job (`onRedisError: 'deny'`, or the outbox is
 * full): the job was NOT enqueued. Carries `status = 503`: an HTTP layer answers 503 with
 * `Retry-After: retryAfterSeconds`.
 */
export class JobsUnavailableError extends ToolkitError {
  static override readonly code = 'E_JOBS_UNAVAILABLE';
  readonly status = 503;
  readonly statusCode = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    cause?: unknown,
  ) {
    super(message, { cause });
  }
}

/** Every error class of this package, keyed by name. */
export const errors = {
  JobsConfigError,
  JobsInputError,
  JobsUnavailableError,
} as const;

export const configError = (field: string, message: string): JobsConfigError =>
  new JobsConfigError(field, message);
