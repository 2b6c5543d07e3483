import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Limiter } from './limiter.js';
import type { LimiterOptions } from './types.js';

/** How a request is turned into a limiter key. */
export type KeyBy = 'ip' | ((req: Request, res: Response) => string | Promise<string>);

export type Message =
  | string
  | Record<string, unknown>
  | ((
      req: Request,
      res: Response,
    ) => string | Record<string, unknown> | Promise<string | Record<string, unknown>>);

/** Options of {@link createRateLimiter}: the limiter's options plus the HTTP ones. */
export interface RateLimiterOptions extends LimiterOptions {
  /** Default `'ip'`: `req.ip`, IPv6 grouped by `ipv6Subnet`. Needs `trust proxy` set right (see README). */
  keyBy?: KeyBy;
  /** IPv6 prefix length used to group addresses with `keyBy: 'ip'`. Default 56. */
  ipv6Subnet?: number;
  /** Give the unit back when the response status is < 400 (login limiters). Default false. */
  skipSuccessfulRequests?: boolean;
  /** Give the unit back when the response status is >= 400 (a 429 included). Default false. */
  skipFailedRequests?: boolean;
  /**
   * A 429's message. A string (or a function returning one) is sent as
   * `{ "error": { "code": "E_RATELIMIT_LIMITED", "message": … } }`; an object is sent as it is.
   * Default `'Too many requests, please try again later.'`.
   */
  message?: Message;
  /** The message of the `onRedisError: 'deny'` response (code `E_RATELIMIT_UNAVAILABLE`). */
  unavailableMessage?: string;
  /** Status of a limited request. Default 429. */
  statusCode?: number;
  /** Status when Redis is down and `onRedisError: 'deny'`. Default 503. */
  denyStatusCode?: 429 | 503;
  /** IETF RateLimit header draft. Default `'draft-7'`. */
  standardHeaders?: 'draft-7' | 'draft-8';
  /** Also send `X-RateLimit-*`. Default false. */
  legacyHeaders?: boolean;
  /** Requests for which this limiter does nothing. */
  skip?: (req: Request, res: Response) => boolean | Promise<boolean>;
}

/** The middleware, with its limiter for resets, stats and events. */
export interface RateLimitMiddleware extends RequestHandler {
  (req: Request, res: Response, next: NextFunction): void;
  readonly limiter: Limiter;
  resetKey(key: string): Promise<void>;
}

/** Options of {@link combineLimits}. Header options default to the first limit's. */
export interface CombineLimitsOptions {
  /**
   * `'all-or-nothing'` (default): a request refused by one limit counts in none. `'stacked'`: the
   * same counting, headers and responses as the limits mounted one after the other.
   */
  counting?: 'all-or-nothing' | 'stacked';
  /** Where the limit's info goes on `req` (as express-rate-limit). Default `'rateLimit'`. */
  requestPropertyName?: string;
  /** Default: the first limit's (`'stacked'`: each limit's own). */
  standardHeaders?: 'draft-7' | 'draft-8';
  /** Default: the first limit's (`'stacked'`: each limit's own). */
  legacyHeaders?: boolean;
}

/** One middleware for several limits: one script call per request. */
export interface CombinedRateLimitMiddleware extends RequestHandler {
  (req: Request, res: Response, next: NextFunction): void;
  readonly limiters: readonly Limiter[];
}
