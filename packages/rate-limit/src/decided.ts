import type { Request } from 'express';

// Symbol.for: the CJS and ESM builds of this package, if both are loaded, share the marker.
const DECIDED = Symbol.for('@redis-toolkit/rate-limit:decided');

type Marked = { [DECIDED]?: object[] };

/**
 * The limiters that already decided this request. A limiter decides a request once: when
 * `combineLimits` has decided it (e.g. mounted early for a path prefix), the same limit mounted
 * again later on the request's path passes it on instead of counting it twice.
 */
export const decidedOn = (req: Request): readonly object[] | undefined =>
  (req as unknown as Marked)[DECIDED];

export function markDecided(req: Request, limiter: object): void {
  const marked = req as unknown as Marked;
  const list = marked[DECIDED];
  if (list) list.push(limiter);
  else marked[DECIDED] = [limiter];
}
