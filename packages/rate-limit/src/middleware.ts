import type { Logger } from '@redis-toolkit/connection';
import type { NextFunction, Request, Response } from 'express';
import { type Logger as ErlLogger, rateLimit } from 'express-rate-limit';
import { RateLimitConfigError, RedisUnavailableError } from './errors.js';
import type { Message, RateLimiterOptions, RateLimitMiddleware } from './http-types.js';
import { createLimiter } from './limiter.js';
import { LimiterStore } from './store.js';

const DEFAULT_MESSAGE = 'Too many requests, please try again later.';

/** express-rate-limit's logger, fed into ours (its validation warnings carry a code and a link). */
const erlLogger = (logger: Logger | undefined): ErlLogger | undefined =>
  logger && {
    warn: (error: unknown, message?: string) =>
      logger.warn(
        { err: error },
        message ?? (error instanceof Error ? error.message : String(error)),
      ),
    error: (error: unknown, message?: string) =>
      logger.error(
        { err: error },
        message ?? (error instanceof Error ? error.message : String(error)),
      ),
  };

async function sendMessage(message: Message, req: Request, res: Response): Promise<void> {
  const body = typeof message === 'function' ? await message(req, res) : message;
  if (!res.writableEnded) res.send(body);
}

/**
 * Express middleware on express-rate-limit with this package's store: fixed or exact sliding
 * window in Redis, Cluster-safe scripts, a bounded wait for Redis and a stated outage policy.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimitMiddleware {
  const keyBy = options.keyBy ?? 'ip';
  if (keyBy !== 'ip' && typeof keyBy !== 'function') {
    throw new RateLimitConfigError('keyBy', "'ip' or a function (req, res) => string", keyBy);
  }
  const standardHeaders = options.standardHeaders ?? 'draft-7';
  if (standardHeaders !== 'draft-7' && standardHeaders !== 'draft-8') {
    throw new RateLimitConfigError('standardHeaders', "'draft-7' or 'draft-8'", standardHeaders);
  }
  const denyStatusCode = options.denyStatusCode ?? 503;
  if (denyStatusCode !== 429 && denyStatusCode !== 503) {
    throw new RateLimitConfigError('denyStatusCode', '429 or 503', denyStatusCode);
  }
  const message = options.message ?? DEFAULT_MESSAGE;
  const limiter = createLimiter(options);
  const erlog = erlLogger(options.logger);
  const erl = rateLimit({
    windowMs: limiter.windowMs,
    limit: limiter.limit,
    store: new LimiterStore(limiter),
    standardHeaders,
    legacyHeaders: options.legacyHeaders ?? false,
    statusCode: options.statusCode ?? 429,
    message,
    identifier: limiter.name,
    skipSuccessfulRequests: options.skipSuccessfulRequests ?? false,
    ...(options.skip ? { skip: options.skip } : {}),
    ...(typeof keyBy === 'function'
      ? { keyGenerator: async (req: Request, res: Response) => String(await keyBy(req, res)) }
      : { ipv6Subnet: options.ipv6Subnet ?? 56 }),
    ...(erlog ? { logger: erlog } : {}),
    passOnStoreError: false,
  });

  const middleware = (req: Request, res: Response, next: NextFunction): void => {
    void erl(req, res, (error?: unknown) => {
      if (!(error instanceof RedisUnavailableError)) {
        next(error as Parameters<NextFunction>[0]);
        return;
      }
      if (limiter.onRedisError === 'allow') {
        next();
        return;
      }
      res.status(denyStatusCode);
      res.setHeader('Retry-After', String(Math.max(1, Math.ceil(error.retryAfterMs / 1000))));
      sendMessage(message, req, res).catch(next);
    });
  };
  return Object.assign(middleware, {
    limiter,
    resetKey: (key: string) => limiter.reset(key),
  });
}
