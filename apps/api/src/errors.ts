import { ToolkitError } from '@redis-toolkit/connection';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { errorBody } from './error-codes.js';
import { safeErr } from './security/log-redaction.js';
import { HttpError } from './validate.js';

/**
 * Every error leaves as `{ error: { code: 'E_…', message } }`, the body the toolkit's middleware
 * send too (see error-codes.ts); 5xx details stay in the log. A 503 always has `Retry-After`.
 */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json(errorBody('not_found', `No route for ${req.method} ${req.path}`));
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  // Already answered (a 408 from the request timeout, then the body parser sees the abort):
  // Express's final handler only closes the connection.
  if (res.headersSent) {
    next(error);
    return;
  }
  if (error instanceof HttpError) {
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res.status(error.status).json(errorBody(error.code, error.message));
    return;
  }
  const database = databaseError(error);
  if (database) {
    res.status(database.status).json(errorBody(database.code, database.message));
    return;
  }
  const status = httpStatusOf(error);
  // A toolkit error that carries its status (BlacklistUnavailableError and JobsUnavailableError
  // 503, TokenInputError 401, JobsInputError 400):
  // its own code and message, and its Retry-After.
  if (error instanceof ToolkitError && status !== 500) {
    if (status === 503) res.setHeader('Retry-After', String(retryAfterOf(error)));
    res.status(status).json(errorBody(error.code, error.message));
    return;
  }
  if (status >= 500) req.log?.error({ err: safeErr(error) }, 'request failed');
  const message =
    status >= 500
      ? 'Internal server error'
      : error instanceof Error
        ? error.message
        : 'Request failed';
  const own = (error as { code?: unknown }).code;
  const code =
    status >= 500
      ? 'internal_error'
      : typeof own === 'string' && own
        ? own
        : status === 400
          ? 'bad_request'
          : status === 401
            ? 'unauthenticated'
            : 'request_error';
  res.status(status).json(errorBody(code, message));
};

function retryAfterOf(error: ToolkitError): number {
  const seconds = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds)
    ? Math.max(1, Math.ceil(seconds))
    : 1;
}

function httpStatusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
    const candidate = status ?? statusCode;
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  }
  return 500;
}

/**
 * PostgreSQL errors caused by the request's data (duplicate e-mail, unknown referenced id, a value
 * PostgreSQL cannot read) are the client's fault: 409/422/400, never a 500.
 */
function databaseError(
  error: unknown,
): { status: number; code: string; message: string } | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, detail, constraint } = error as {
    code?: unknown;
    detail?: unknown;
    constraint?: unknown;
  };
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  const info =
    typeof detail === 'string' ? detail : typeof constraint === 'string' ? constraint : '';
  switch (code) {
    case '23505':
      return { status: 409, code: 'conflict', message: `Already exists${info ? `: ${info}` : ''}` };
    case '23503':
      return {
        status: 422,
        code: 'invalid_reference',
        message: `Refers to a record that does not exist${info ? `: ${info}` : ''}`,
      };
    case '22021': // character not in repertoire: NUL in text
    case '22P05': // untranslatable character
      return {
        status: 400,
        code: 'invalid_value',
        message: 'A text value contains a character the database cannot store',
      };
    case '22001': // string too long for its column
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
      return {
        status: 400,
        code: 'invalid_value',
        message: 'A value could not be read by the database',
      };
    default:
      return undefined;
  }
}
