import type { ErrorRequestHandler, RequestHandler } from 'express';

/** Every error leaves as `{ error: { code, message } }`; 5xx details stay in the log. */
export const notFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'not_found', message: `No route for ${req.method} ${req.path}` } });
};

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  const status = httpStatusOf(error);
  if (status >= 500) req.log?.error({ err: error }, 'request failed');
  const message = status >= 500 ? 'Internal server error' : errorMessage(error);
  const code = status >= 500 ? 'internal_error' : status === 400 ? 'bad_request' : 'request_error';
  res.status(status).json({ error: { code, message } });
};

function httpStatusOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const candidate = (error as { status?: unknown; statusCode?: unknown }).status ?? (error as { statusCode?: unknown }).statusCode;
    if (typeof candidate === 'number' && candidate >= 400 && candidate < 600) return candidate;
  }
  return 500;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : 'Request failed';
}
