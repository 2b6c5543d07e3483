import { RedisUnavailableError, ToolkitError } from './runtime/errors.js';
import { OutboxConfigError, OutboxFullError } from './runtime/file-outbox.js';

/**
 * A configuration value (environment variable or option field) is missing, malformed or in
 * conflict with another. `variable` names it, `value` shows it with secrets masked as `***`,
 * `expected` describes the accepted form.
 */
export class RedisConfigError extends ToolkitError {
  static override readonly code = 'E_REDIS_CONFIG';
  declare readonly code: 'E_REDIS_CONFIG';
  /** The variable or option field at fault (the same as `variable`). */
  declare readonly field: string;
  readonly variable: string;
  /** The offending value with secrets masked (`***`); `undefined` when the value is missing. */
  readonly value: string | undefined;
  readonly expected: string;

  constructor(
    variable: string,
    value: string | undefined,
    expected: string,
    options?: { cause?: unknown },
  ) {
    const shown =
      value === undefined ? `${variable} is not set` : `${variable}="${value}" is invalid`;
    super(`${shown}: expected ${expected}`, { field: variable, cause: options?.cause });
    this.variable = variable;
    this.value = value;
    this.expected = expected;
  }
}

/** Every error this package throws, by name (match with `instanceof` or on `code`). */
export const errors = {
  RedisConfigError,
  RedisUnavailableError,
  OutboxFullError,
  OutboxConfigError,
} as const;
