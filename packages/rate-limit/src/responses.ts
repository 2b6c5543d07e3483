import type { Request, Response } from 'express';
import { RateLimitedError } from './errors.js';
import type { Message } from './http-types.js';

export const DEFAULT_MESSAGE = 'Too many requests, please try again later.';
export const DEFAULT_UNAVAILABLE = 'Rate limiting is unavailable, please try again later.';

/** The toolkit-wide middleware error body. */
export const errorBody = (code: string, message: string) => ({ error: { code, message } });

/** A 429's body: a string message becomes the error body, an object is sent as it is. */
export const limitedBody = (value: string | Record<string, unknown>): unknown =>
  typeof value === 'string' ? errorBody(RateLimitedError.code, value) : value;

/** The body of any `message` option, a function's (possibly async) answer included. */
export async function limitedBodyOf(
  message: Message,
  req: Request,
  res: Response,
): Promise<unknown> {
  return limitedBody(typeof message === 'function' ? await message(req, res) : message);
}

/** Whole seconds for Retry-After, at least 1. */
export const seconds = (ms: number): string => String(Math.max(1, Math.ceil(ms / 1000)));
