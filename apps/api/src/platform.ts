import type { Cache } from '@redis-toolkit/cache';
import type { RedisClient, RedisConnection } from '@redis-toolkit/connection';
import {
  createRateLimiter,
  type Preset,
  presets,
  type RateLimitMiddleware,
} from '@redis-toolkit/rate-limit';
import { createSessionMiddleware, type SessionMiddleware } from '@redis-toolkit/session';
import { createTokenBlacklist, type TokenBlacklist } from '@redis-toolkit/token-blacklist';
import type { RequestHandler } from 'express';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createAppCache } from './app-cache.js';
import type { CacheSwitch } from './cached.js';
import type { AppEnv } from './env.js';
import type { Metrics } from './metrics.js';
import { REFRESH_TOKEN_TTL_SECONDS } from './school/tokens.js';

/** The Redis-backed building blocks of one app instance, created from the env. */
export interface Platform {
  caches: { dental: Cache; school: Cache; care: Cache };
  cacheSwitch: CacheSwitch;
  blacklist: TokenBlacklist;
  sessions: SessionMiddleware;
  limiters: {
    global: RequestHandler;
    api: RequestHandler;
    careAuth: RequestHandler;
    schoolAuth: RequestHandler;
  };
  close(): Promise<void>;
}

const passThrough: RequestHandler = (_req, _res, next) => next();
/** Probes and scrapes are never limited. */
const isInfra = (path: string) => path === '/health' || path === '/ready' || path === '/metrics';

/**
 * `REDIS_ENABLED=false` gives no client, but the session, rate-limit and blacklist packages take
 * one. This client never connects (every command fails at once), so each package runs its own
 * outage policy: memory caches, memory limits, memory sessions, local revocations.
 */
function offlineClient(): RedisClient {
  return new Redis({
    host: '127.0.0.1',
    port: 1,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
}

export function createPlatform(
  env: AppEnv,
  redis: RedisConnection,
  logger: Logger,
  metrics: Metrics,
): Platform {
  const offline = offlineClient();
  offline.on('error', () => {});
  const client = redis.client ?? offline;
  const log = (component: string) => logger.child({ component });

  const makeCache = (name: 'dental' | 'school' | 'care') => {
    const cache = createAppCache(name, redis, log(`cache:${name}`), env.CACHE_L1_MAX_ENTRIES);
    metrics.watchCache(name, cache, !redis.client);
    return cache;
  };
  const caches = {
    dental: makeCache('dental'),
    school: makeCache('school'),
    care: makeCache('care'),
  };

  const blacklist = createTokenBlacklist({
    redis: client,
    prefix: 'school:revoked:',
    // The refresh token is the longest-lived token: a logout-all must outlive it.
    maxTokenLifetime: REFRESH_TOKEN_TTL_SECONDS,
    mirror: Boolean(redis.client),
    logger: log('token-blacklist'),
  });
  metrics.watchBlacklist(blacklist);

  const sessions = createSessionMiddleware({
    redis: client,
    secret: env.SESSION_SECRET,
    prefix: 'care:sess:',
    name: 'care.sid',
    ttl: '7d',
    production: env.NODE_ENV === 'production',
    onRedisError: redis.client ? env.SESSION_ON_REDIS_ERROR : 'memory',
    logger: log('session'),
  });

  const rateLimitMessage = (message: string) => ({ error: { code: 'rate_limited', message } });
  const limiter = (
    preset: Preset & { name: string; message: string },
    overrides: { limit: number; window: string },
    skipInfra: boolean,
  ): RequestHandler => {
    // While the client is reconnecting the limiter answers by policy at once (memory/allow/deny by
    // RATE_LIMIT_ON_REDIS_ERROR) and logs the outage once; it returns to Redis by itself.
    const mw: RateLimitMiddleware = createRateLimiter({
      ...preset,
      ...overrides,
      window: overrides.window as `${number}m`,
      redis: client,
      prefix: 'rl:',
      onRedisError: env.RATE_LIMIT_ON_REDIS_ERROR,
      message: rateLimitMessage(preset.message),
      logger: log(`rate-limit:${preset.name}`),
      ...(skipInfra ? { skip: (req) => isInfra(req.path) } : {}),
    });
    metrics.watchLimiter(mw);
    return mw;
  };
  const limiters = env.RATE_LIMIT_ENABLED
    ? {
        global: limiter(
          presets.global,
          { limit: env.GLOBAL_RATE_LIMIT, window: env.GLOBAL_RATE_WINDOW },
          true,
        ),
        api: limiter(presets.api, { limit: env.API_RATE_LIMIT, window: env.API_RATE_WINDOW }, true),
        careAuth: limiter(
          { ...presets.auth, name: 'care-auth' },
          { limit: env.AUTH_RATE_LIMIT, window: env.AUTH_RATE_WINDOW },
          false,
        ),
        schoolAuth: limiter(
          { ...presets.auth, name: 'school-auth' },
          { limit: env.AUTH_RATE_LIMIT, window: env.AUTH_RATE_WINDOW },
          false,
        ),
      }
    : { global: passThrough, api: passThrough, careAuth: passThrough, schoolAuth: passThrough };

  return {
    caches,
    cacheSwitch: { enabled: env.CACHE_ENABLED },
    blacklist,
    sessions,
    limiters,
    async close() {
      await Promise.allSettled([
        caches.dental.close(),
        caches.school.close(),
        caches.care.close(),
        blacklist.close(),
      ]);
      offline.disconnect();
    },
  };
}
