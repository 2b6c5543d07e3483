import type { Logger } from '@redis-toolkit/connection';
import type { NextFunction, Request, Response } from 'express';
import { type Logger as ErlLogger, ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { decidedOn, markDecided } from './decided.js';
import { configError, RateLimitUnavailableError } from './errors.js';
import { registerHttpLimit } from './http-config.js';
import type { RateLimiterOptions, RateLimitMiddleware } from './http-types.js';
import { buildLimiter } from './limiter.js';
import { LIMITER_OPTION_NAMES } from './options.js';
import {
  DEFAULT_MESSAGE,
  DEFAULT_UNAVAILABLE,
  errorBody,
  limitedBodyOf,
  seconds,
} from './responses.js';
import { LimiterStore } from './store.js';

export const HTTP_OPTION_NAMES = [
  ...LIMITER_OPTION_NAMES,
  'keyBy',
  'ipv6Subnet',
  'skipSuccessfulRequests',
  'skipFailedRequests',
  'message',
  'unavailableMessage',
  'statusCode',
  'denyStatusCode',
  'standardHeaders',
  'legacyHeaders',
  'skip',
] as const;

/** express-rate-limit's logger, fed into ours (its validation warnings carry a code and a link). */
const erlLogger = (logger: Logger): ErlLogger => {
  const text = (error: unknown, message?: string) =>
    message ?? (error instanceof Error ? error.message : String(error));
  return {
    warn: (error: unknown, message?: string) =>
      logger.warn({ code: codeOf(error) }, text(error, message)),
    error: (error: unknown, message?: string) =>
      logger.error({ code: codeOf(error) }, text(error, message)),
  };
};

const codeOf = (error: unknown): string | undefined => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/**
 * Express middleware on express-rate-limit with this package's store: fixed or exact sliding
 * window in Redis through the shared runtime, and a stated outage policy.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimitMiddleware {
  const limiter = buildLimiter(options, HTTP_OPTION_NAMES);
  const keyBy = options.keyBy ?? 'ip';
  if (keyBy !== 'ip' && typeof keyBy !== 'function') {
    throw configError('keyBy', `keyBy must be 'ip' or a function (req, res) => string`);
  }
  const standardHeaders = options.standardHeaders ?? 'draft-7';
  if (standardHeaders !== 'draft-7' && standardHeaders !== 'draft-8') {
    throw configError('standardHeaders', `standardHeaders must be 'draft-7' or 'draft-8'`);
  }
  const denyStatusCode = options.denyStatusCode ?? 503;
  if (denyStatusCode !== 429 && denyStatusCode !== 503) {
    throw configError('denyStatusCode', 'denyStatusCode must be 429 or 503');
  }
  const statusCode = options.statusCode ?? 429;
  const message = options.message ?? DEFAULT_MESSAGE;
  const unavailable = options.unavailableMessage ?? DEFAULT_UNAVAILABLE;
  const store = new LimiterStore(limiter);
  const userSkip = options.skip;
  const erl = rateLimit({
    windowMs: limiter.windowMs,
    limit: limiter.resolved.capacity,
    store,
    standardHeaders,
    legacyHeaders: options.legacyHeaders ?? false,
    statusCode,
    identifier: limiter.name,
    skipSuccessfulRequests: options.skipSuccessfulRequests ?? false,
    skipFailedRequests: options.skipFailedRequests ?? false,
    handler: (req, res, next) => {
      const info = (req as Request & { rateLimit?: { resetTime?: Date; key?: string } }).rateLimit;
      const retry = info?.key === undefined ? undefined : store.takeRetryAfter(info.key);
      const resetTime = info?.resetTime;
      res.setHeader(
        'Retry-After',
        seconds(retry ?? (resetTime ? resetTime.getTime() - Date.now() : limiter.windowMs)),
      );
      res.status(statusCode);
      limitedBodyOf(message, req, res).then((body) => {
        if (!res.writableEnded) res.json(body);
      }, next);
    },
    // a limit decides a request once (see decided.ts): a request it counts is marked. One decided
    // already never gets here (the middleware below passes it on before calling into erl)
    skip: (req: Request, res: Response) => {
      const skipped = userSkip ? userSkip(req, res) : false;
      if (skipped === false) markDecided(req, limiter);
      else if (skipped !== true) {
        return skipped.then((value) => {
          if (!value) markDecided(req, limiter);
          return value;
        });
      }
      return skipped;
    },
    ...(typeof keyBy === 'function'
      ? {
          // no extra promise when keyBy answers synchronously (the usual case)
          keyGenerator: (req: Request, res: Response) => {
            const key = keyBy(req, res);
            return typeof key === 'string' ? key : key.then(String);
          },
        }
      : { ipv6Subnet: options.ipv6Subnet ?? 56 }),
    ...(options.logger ? { logger: erlLogger(options.logger) } : {}),
    passOnStoreError: false,
  });

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    // decided already (a combination mounted earlier): not even express-rate-limit's skip hop
    if (decidedOn(req)?.includes(limiter)) {
      next();
      return;
    }
    void erl(req, res, (error?: unknown) => {
      if (!(error instanceof RateLimitUnavailableError)) {
        next(error as Parameters<NextFunction>[0]);
        return;
      }
      if (limiter.onRedisError === 'allow') {
        next();
        return;
      }
      res.status(denyStatusCode);
      // the decision carries the shared rule: until the runtime's next probe, at least 1 s
      res.setHeader('Retry-After', seconds(error.retryAfterMs));
      res.json(errorBody(RateLimitUnavailableError.code, unavailable));
    });
  };
  const result: RateLimitMiddleware = Object.assign(middleware, {
    limiter: limiter as RateLimitMiddleware['limiter'],
    resetKey: (key: string) => limiter.reset(key),
  });
  const ipv6Subnet = options.ipv6Subnet ?? 56;
  registerHttpLimit(result, {
    limiter,
    keyBy,
    ipv6Subnet,
    // the same key express-rate-limit computes (its default keyGenerator, or ours above)
    key:
      typeof keyBy === 'function'
        ? (req, res) => {
            // a string as it is (the usual case): combineLimits then decides without a promise hop
            try {
              const key = keyBy(req, res);
              return typeof key === 'string' ? key : Promise.resolve(key).then(String);
            } catch (error) {
              return Promise.reject(error);
            }
          }
        : (req) => ipKeyGenerator(req.ip ?? '', ipv6Subnet),
    skip: options.skip,
    skipSuccessfulRequests: options.skipSuccessfulRequests ?? false,
    skipFailedRequests: options.skipFailedRequests ?? false,
    message,
    unavailableMessage: unavailable,
    statusCode,
    denyStatusCode,
    standardHeaders,
    legacyHeaders: options.legacyHeaders ?? false,
  });
  return result;
}
