import type { Cache } from '@redis-toolkit/cache';
import type { Duration, RedisConnection } from '@redis-toolkit/connection';
import {
  combineLimits,
  createLimiter,
  createRateLimiter,
  type Limiter,
  type Preset,
  presets,
  type RateLimitMiddleware,
} from '@redis-toolkit/rate-limit';
import { createSessionMiddleware, type SessionMiddleware } from '@redis-toolkit/session';
import {
  createOneTimeTokens,
  createRefreshTokens,
  createTokenBlacklist,
  type OneTimeTokens,
  type RefreshTokens,
  type TokenBlacklist,
} from '@redis-toolkit/token-blacklist';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { createAppCache } from './app-cache.js';
import type { DatabaseHandle } from './db/connect.js';
import { databaseOutbox } from './db/outbox.js';
import type { AppEnv } from './env.js';
import { isInfraPath } from './infra-paths.js';
import { type AppJobQueues, createAppJobs } from './jobs/app-jobs.js';
import type { Metrics } from './metrics.js';
import { SCHOOL_TOKEN_PURPOSES, type SchoolTokenPurpose } from './school/one-time.js';
import { REFRESH_TOKEN_TTL_SECONDS } from './school/tokens.js';

/** The Redis-backed building blocks of one app instance, created from the env. */
export interface Platform {
  /** `undefined` with `CACHE_ENABLED=false`: every read goes to the database. */
  caches: { dental?: Cache; school?: Cache; care?: Cache };
  blacklist: TokenBlacklist;
  /** School refresh-token rotation with reuse detection. */
  refreshTokens: RefreshTokens;
  /** School e-mail verification, password-reset and invite links (school/one-time.ts). */
  oneTimeTokens: OneTimeTokens<SchoolTokenPurpose>;
  sessions: SessionMiddleware;
  /** Dental staff sessions (cookie `dental.sid`, keys `dental:sess:…`). */
  dentalSessions: SessionMiddleware;
  limiters: {
    global: RequestHandler;
    api: RequestHandler;
    careAuth: RequestHandler;
    schoolAuth: RequestHandler;
    dentalAuth: RequestHandler;
    /** POST /school/auth/signup per client address (SIGNUP_RATE_LIMIT per SIGNUP_RATE_WINDOW). */
    schoolSignup: RequestHandler;
  };
  /** School e-mails per recipient (MAIL_RATE_LIMIT per MAIL_RATE_WINDOW); absent with RATE_LIMIT_ENABLED=false. */
  mailLimiter: Limiter | undefined;
  /** The limiters behind `limiters` (empty with `RATE_LIMIT_ENABLED=false`), for the status page. */
  rateLimiters: Limiter[];
  /** Background job queues (jobs/app-jobs.ts); use cases register their handlers on it. */
  jobs: AppJobQueues;
  close(): Promise<void>;
}

const passThrough: RequestHandler = (_req, _res, next) => next();
/**
 * Probes, scrapes, the status page, the docs and the job board are never limited (infra-paths.ts,
 * the paths the request log skips), and two more than the log skips: the status page itself (`/`)
 * and anything that starts like the job board (`/admin/queuesx`, a 404, too).
 */
const isInfra = (path: string) =>
  path === '/' || path.startsWith('/admin/queues') || isInfraPath(path);

/**
 * Every package gets the connection, or — with `REDIS_ENABLED=false` — no `redis` at all: each
 * then runs in its memory-only mode (one info line each) instead of treating a missing server as
 * an outage.
 */
export function createPlatform(
  env: AppEnv,
  redis: RedisConnection,
  logger: Logger,
  metrics: Metrics,
  database: DatabaseHandle,
): Platform {
  const shared = redis.client ? { redis } : {};
  const log = (component: string) => logger.child({ component });

  // Patient records and care clients are sealed in Redis; school data stays clear.
  const encryption = { keys: env.CACHE_ENCRYPTION_KEYS };
  const makeCache = (name: 'dental' | 'school' | 'care') => {
    const cache = createAppCache(
      name,
      redis,
      log(`cache:${name}`),
      env.CACHE_L1_MAX_ENTRIES,
      name === 'school' ? undefined : encryption,
    );
    metrics.watchCache(name, cache, redis);
    return cache;
  };
  const caches = env.CACHE_ENABLED
    ? { dental: makeCache('dental'), school: makeCache('school'), care: makeCache('care') }
    : {};

  const blacklist = createTokenBlacklist({
    ...shared,
    prefix: 'school:',
    // The refresh token is the longest-lived token: a logout-all must outlive it.
    maxTokenLifetime: REFRESH_TOKEN_TTL_SECONDS,
    mirror: Boolean(redis.client),
    // Revocations Redis could not take survive this instance; any instance replays them.
    ...(redis.client ? { outbox: databaseOutbox(database.db, { kind: 'blacklist' }) } : {}),
    logger: log('token-blacklist'),
  });
  metrics.watchBlacklist(blacklist);
  // Rotation + reuse detection; refused (503) while the blacklist cannot vouch for revocations.
  const refreshTokens = createRefreshTokens({
    ...shared,
    prefix: 'school:',
    ttl: REFRESH_TOKEN_TTL_SECONDS,
    blacklist,
    logger: log('refresh-tokens'),
  });

  // Jobs added while Redis is unavailable wait in the database; any instance replays them once.
  const jobs = createAppJobs({
    redis,
    logger: log('jobs'),
    disabled: env.DISABLE_BACKGROUND_JOBS,
    workers: env.WORKERS_ENABLED,
    outbox: databaseOutbox(database.db, { kind: 'job' }),
    shutdownTimeoutMs: env.JOBS_SHUTDOWN_TIMEOUT,
  });
  metrics.watchJobs(jobs);

  // Only hashes in Redis; refused (503) during an outage: a link checked in one instance's
  // memory could be used twice.
  const oneTimeTokens = createOneTimeTokens<SchoolTokenPurpose>({
    ...shared,
    prefix: 'school:',
    purposes: SCHOOL_TOKEN_PURPOSES,
    // the per-recipient e-mail limit (mailLimiter) is the user-facing one; this is the backstop
    issueLimit: { max: env.MAIL_RATE_LIMIT, per: env.MAIL_RATE_WINDOW as Duration },
    logger: log('one-time-tokens'),
  });
  metrics.watchEvents(oneTimeTokens);

  const sessions = createSessionMiddleware({
    ...shared,
    secret: env.SESSION_SECRET,
    prefix: 'care:',
    name: 'care.sid',
    ttl: '7d',
    production: env.NODE_ENV === 'production',
    onRedisError: env.SESSION_ON_REDIS_ERROR,
    logger: log('session'),
  });
  metrics.watchSessions(sessions);
  const dentalSessions = createSessionMiddleware({
    ...shared,
    secret: env.SESSION_SECRET,
    prefix: 'dental:',
    name: 'dental.sid',
    // a working day: staff sign in at the start of a shift
    ttl: '12h',
    production: env.NODE_ENV === 'production',
    onRedisError: env.SESSION_ON_REDIS_ERROR,
    logger: log('session:dental'),
  });
  metrics.watchSessions(dentalSessions);

  const rateLimiters: Limiter[] = [];
  const limiter = (
    preset: Preset & { name: string },
    overrides: { limit: number; window: string },
    skipInfra: boolean,
  ): RequestHandler => {
    // During an outage the limiter answers by policy at once (RATE_LIMIT_ON_REDIS_ERROR), with
    // the toolkit's JSON 429/503 bodies; it returns to Redis by itself.
    const mw: RateLimitMiddleware = createRateLimiter({
      ...preset,
      ...overrides,
      // env.ts has checked the form (`15m`, `30s`…)
      window: overrides.window as Duration,
      ...shared,
      onRedisError: env.RATE_LIMIT_ON_REDIS_ERROR,
      logger: log(`rate-limit:${preset.name}`),
      // the full path: the API routes decide this limit under their mount (combineLimits below)
      ...(skipInfra ? { skip: (req) => isInfra(req.baseUrl + req.path) } : {}),
    });
    metrics.watchLimiter(mw);
    rateLimiters.push(mw.limiter);
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
        dentalAuth: limiter(
          { ...presets.auth, name: 'dental-auth' },
          { limit: env.AUTH_RATE_LIMIT, window: env.AUTH_RATE_WINDOW },
          false,
        ),
        // per client address, successful signups counted (a bot's signups all succeed)
        schoolSignup: limiter(
          {
            name: 'school-signup',
            window: '1h',
            limit: 10,
            algorithm: 'sliding-window',
            message: 'Too many signups from this address, please try again later.',
          },
          { limit: env.SIGNUP_RATE_LIMIT, window: env.SIGNUP_RATE_WINDOW },
          false,
        ),
      }
    : {
        global: passThrough,
        api: passThrough,
        careAuth: passThrough,
        schoolAuth: passThrough,
        dentalAuth: passThrough,
        schoolSignup: passThrough,
      };
  if (env.RATE_LIMIT_ENABLED) {
    // Global + API in one script call per request ('stacked': the same counts, headers and 429s
    // as the two limiters one after the other). app.ts mounts it on the API prefixes before the
    // global limiter; a limit decides a request once, so `global` passes those requests on.
    limiters.api = combineLimits([limiters.global, limiters.api] as RateLimitMiddleware[], {
      counting: 'stacked',
    });
  }
  // Keyed on the recipient address, not the caller: ten requests from ten addresses still send
  // one inbox at most MAIL_RATE_LIMIT e-mails.
  const mailLimiter = env.RATE_LIMIT_ENABLED
    ? createLimiter({
        ...shared,
        name: 'school-mail',
        limit: env.MAIL_RATE_LIMIT,
        window: env.MAIL_RATE_WINDOW as Duration,
        onRedisError: env.RATE_LIMIT_ON_REDIS_ERROR,
        logger: log('rate-limit:school-mail'),
      })
    : undefined;
  if (mailLimiter) {
    metrics.watchEvents(mailLimiter);
    rateLimiters.push(mailLimiter);
  }

  return {
    caches,
    blacklist,
    refreshTokens,
    oneTimeTokens,
    sessions,
    dentalSessions,
    limiters,
    rateLimiters,
    mailLimiter,
    jobs,
    async close() {
      await Promise.allSettled([
        caches.dental?.close(),
        caches.school?.close(),
        caches.care?.close(),
        blacklist.close(),
        // workers first (within JOBS_SHUTDOWN_TIMEOUT), then the producers
        jobs.close(),
      ]);
    },
  };
}
