import type { ErrorRequestHandler, RequestHandler } from 'express';
import { HttpError } from './validate.js';

/** Every error leaves as `{ error: { code, message } }`; 5xx details stay in the log. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } });
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (error instanceof HttpError) {
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res.status(error.status).json({ error: { code: error.code, message: error.message } });
    return;
  }
  const status = httpStatusOf(error);
  if (status >= 500) req.log?.error({ err: error }, 'request failed');
  const message = status >= 500 ? 'Internal server error' : error instanceof Error ? error.message : 'Request failed';
  const code =
    status >= 500
      ? 'internal_error'
      : ((error as { code?: unknown }).code && typeof (error as { code?: unknown }).code === 'string'
          ? String((error as { code: string }).code)
          : status === 400
            ? 'bad_request'
            : status === 401
              ? 'unauthorized'
              : 'request_error');
  res.status(status).json({ error: { code, message } });
};

function httpStatusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
    const candidate = status ?? statusCode;
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  }
  return 500;
}
