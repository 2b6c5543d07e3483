import { logSafeError } from '@redis-toolkit/connection';
import type { LoggerOptions } from 'pino';

/** Query parameters that carry credentials (OAuth codes, bearer tokens, signatures). */
const SECRET_PARAM =
  /^(access_token|refresh_token|id_token|token|code|password|secret|api_key|apikey|key|signature|sig|auth|session|jwt)$|_token$/i;

/** `/x?access_token=eyJ…&page=2` → `/x?access_token=***&page=2`: the log never holds a credential. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const parts = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const rawName = eq < 0 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, ' '));
      } catch {
        // an ill-encoded name is compared as sent
      }
      return eq >= 0 && SECRET_PARAM.test(name) ? `${rawName}=***` : pair;
    });
  return `${url.slice(0, q)}?${parts.join('&')}`;
}

/** The same for a parsed query object (pino-http's serialized `req.query`). */
export function redactQuery(query: unknown): unknown {
  if (typeof query !== 'object' || query === null) return query;
  return Object.fromEntries(
    Object.entries(query).map(([name, value]) => [name, SECRET_PARAM.test(name) ? '***' : value]),
  );
}

/** pino-http's `serializers.req`: applied to the serialized request of every log line. */
export function redactRequest<T extends { url?: unknown; query?: unknown }>(req: T): T {
  return {
    ...req,
    ...(typeof req.url === 'string' ? { url: redactUrl(req.url) } : {}),
    ...(req.query !== undefined ? { query: redactQuery(req.query) } : {}),
  };
}

/** What of an error reaches a log line (the app's `err`). */
export interface LoggedError {
  type: string;
  message: string;
  code?: string;
  stack?: string;
  cause?: LoggedError;
}

/**
 * An error as it may be logged: name, code, the toolkit's redacted message and the stack frames,
 * nothing else. pino's default serializer copies every enumerable field, and an ioredis error
 * carries `command.args` (values, the password of an AUTH). Used as the `err` serializer of the
 * app's logger and of pino-http's, and by call sites that log an error.
 */
export function safeErr(error: unknown, depth = 0): LoggedError {
  const safe = logSafeError(error);
  const out: LoggedError = {
    type: safe.name,
    message: safe.message,
    ...(safe.code ? { code: safe.code } : {}),
  };
  if (error instanceof Error) {
    // the first line repeats the unredacted message: only the frames are kept
    const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
    if (frames.length > 0) out.stack = `${safe.name}: ${safe.message}\n${frames.join('\n')}`;
    if (error.cause !== undefined && depth < 3) out.cause = safeErr(error.cause, depth + 1);
  }
  return out;
}

/**
 * The `err` serializer: an error becomes `safeErr`, and so does pino-http's pre-serialized copy of
 * one (it wraps a custom serializer around pino's, and keeps the error as `raw`); an object made
 * safe already passes unchanged, without a `command` field.
 */
export function errSerializer(value: unknown): unknown {
  if (value instanceof Error) return safeErr(value);
  if (typeof value !== 'object' || value === null) return value;
  const raw = (value as { raw?: unknown }).raw;
  if (raw instanceof Error) return safeErr(raw);
  // pino-http's copy of an object logged as `err`: the object itself
  const source = typeof raw === 'object' && raw !== null ? raw : value;
  const { command: _command, ...rest } = source as Record<string, unknown>;
  return rest;
}

/** The app logger's options: credentials in headers redacted, errors through `errSerializer`. */
export function appLogOptions(level: string): LoggerOptions {
  return {
    level,
    redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    // an ioredis error's `command.args` (values, an AUTH password) never reaches a line
    serializers: { err: errSerializer },
  };
}
