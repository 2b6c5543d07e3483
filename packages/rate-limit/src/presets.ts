import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import type { KeyBy, RateLimiterOptions } from './http-types.js';

/** Options without the client: spread one and add `redis` (and any override). */
export type Preset = Omit<RateLimiterOptions, 'redis'>;

/** Lower-case, trimmed, Unicode NFKC: `' Alice@Example.COM '` and `'alice@example.com'` share a budget. */
export const normalizeUsername = (value: unknown): string =>
  typeof value === 'string' ? value.normalize('NFKC').trim().toLowerCase() : '';

/**
 * Key = client IP (IPv6 grouped by /56) + the username submitted in the body (the first present of
 * `fields`), normalised. Needs a body parser (`express.json()`) before the limiter.
 */
export function ipAndUsername(
  fields: readonly string[] = ['username', 'email'],
  ipv6Subnet = 56,
): KeyBy {
  return (req: Request) => {
    const body: unknown = req.body;
    let user = '';
    if (typeof body === 'object' && body !== null) {
      for (const f of fields) {
        const v = normalizeUsername((body as Record<string, unknown>)[f]);
        if (v) {
          user = v;
          break;
        }
      }
    }
    return `${ipKeyGenerator(req.ip ?? '', ipv6Subnet)}|${user}`;
  };
}

/** The three limiters of the guides. Spread and override: `{ ...presets.api, redis, limit: 120 }`. */
export const presets = {
  /** 100 requests per 15 minutes per IP. */
  global: {
    name: 'global',
    window: '15m',
    limit: 100,
    algorithm: 'fixed-window',
    message: 'Too many requests, please try again later.',
  },
  /**
   * 5 login attempts per 15 minutes per IP + username; successful logins are not counted. Sliding
   * window: a burst at a window edge cannot get 10 guesses.
   */
  auth: {
    name: 'auth',
    window: '15m',
    limit: 5,
    algorithm: 'sliding-window',
    keyBy: ipAndUsername(),
    skipSuccessfulRequests: true,
    message: 'Too many login attempts, please try again later.',
  },
  /** 60 requests per minute per IP. */
  api: {
    name: 'api',
    window: '1m',
    limit: 60,
    algorithm: 'fixed-window',
    message: 'API rate limit exceeded.',
  },
} as const satisfies Record<string, Preset>;
