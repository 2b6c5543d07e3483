import type { RequestHandler } from 'express';
import { hasControlCharacter, isWellFormed } from './schemas/text.js';
import { HttpError } from './validate.js';

/** Deep enough for any body this API accepts; deeper JSON is refused rather than walked. */
const MAX_DEPTH = 32;

function problem(value: unknown, path: string, depth: number): string | undefined {
  if (typeof value === 'string') {
    if (!isWellFormed(value)) return `${path}: must be well-formed Unicode (no lone surrogates)`;
    // Tab and line breaks pass here: free-text fields accept them; one-line fields refuse them in their schema.
    if (hasControlCharacter(value, true)) return `${path}: must not contain control characters`;
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (depth > MAX_DEPTH) return `${path}: nested too deeply`;
  for (const [key, child] of Object.entries(value)) {
    const keyProblem = problem(key, `${path} key`, depth);
    if (keyProblem) return keyProblem;
    const found = problem(child, path ? `${path}.${key}` : key, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * A safety net in front of every route, run after the body parser and before the routes' own
 * limiters and handlers (the global and API limits, keyed on the client address, come earlier):
 * strings no field accepts are a 400 here, so no later step (an auth limit's e-mail key, the
 * database) can fail on them with a 500. The per-field zod schemas (`text()`) stay the contract.
 */
export const inputGuard: RequestHandler = (req, _res, next) => {
  // No `?`: no query to parse (Express 5 parses `req.query` on every read).
  const found =
    problem(req.body, 'body', 0) ??
    (req.originalUrl.includes('?') ? problem(req.query, 'query', 0) : undefined);
  if (found) throw new HttpError(400, 'validation_failed', `Invalid ${found}`);
  next();
};
