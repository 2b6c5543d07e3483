import { redactSecrets } from '../redact.js';

/** What of an error may reach a log line: name, code and a redacted message — never `command.args`. */
export interface LogSafeError {
  name: string;
  message: string;
  code?: string;
}

/**
 * ioredis attaches the failed command (`err.command.args`: values, and the password for AUTH) to
 * its errors, and pino serializes every own property. Log this instead of the error.
 */
export function logSafeError(error: unknown, secrets: readonly string[] = []): LogSafeError {
  if (!(error instanceof Error))
    return { name: 'Error', message: redactSecrets(String(error), secrets) };
  const code = (error as { code?: unknown }).code;
  const last = (error as { lastNodeError?: unknown }).lastNodeError;
  let message = error.message;
  if (last instanceof Error && !message.includes(last.message))
    message += ` (last node: ${last.message})`;
  return {
    name: error.name,
    message: redactSecrets(message, secrets),
    ...(typeof code === 'string' ? { code } : {}),
  };
}
