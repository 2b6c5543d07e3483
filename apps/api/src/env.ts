import { durationToMs } from '@redis-toolkit/connection';
import { z } from 'zod';
import { AppConfigError } from './env-error.js';
import { translateGuideEnv } from './guide-env.js';
import { type CacheKeys, cacheEncryptionKeys } from './security/cache-keys.js';
import { corsSettings } from './security/cors-settings.js';

const DEV_JWT_SECRET = 'dev-only-jwt-secret-change-me-in-production!';
const DEV_SESSION_SECRET = 'dev-only-session-secret-change-me-in-production!';

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1' || v === 'yes' || v === 'on');

const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, "expected a duration such as '30s', '15m', '1h'");

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000 } as const;
/** The toolkit's duration rule: a bare number is seconds; or a number with ms, s or m. */
const durationMs = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?(ms|s|m)?$/, "expected seconds (10) or a duration such as '10s', '500ms'")
    .transform((v) => {
      const [, n, unit] = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v) as RegExpExecArray;
      return Math.round(Number(n) * UNIT_MS[(unit ?? 's') as keyof typeof UNIT_MS]);
    })
    .pipe(z.number().min(min, `at least ${min} ms`).max(max, `at most ${max} ms`));

/** A job delay: `duration` read into milliseconds (`'24h'`, `'7d'`, `'2s'` in tests). */
const jobDelay = duration.transform((v) => durationToMs(v) as number);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
  /**
   * Express `trust proxy` (hop count). 0 = the socket address is the client. Required in
   * production: the rate limits and the session device list key on the client address.
   */
  TRUST_PROXY: z.coerce.number().int().min(0).max(10).optional(),
  /** `id:base64key,...` (32-byte keys, newest first): seals the dental and care caches in Redis. */
  CACHE_ENCRYPTION_KEYS: z.string().optional(),
  /** Origins allowed to call the API from a browser: comma-separated, or `*`. Unset: none. */
  CORS_ORIGINS: z.string().optional(),
  /** Allow cookies on those cross-origin requests (`Access-Control-Allow-Credentials`). */
  CORS_CREDENTIALS: bool(true),
  /** Time for a request (headers and body) to arrive; a slower one gets 408. Seconds or '10s'. */
  REQUEST_TIMEOUT: durationMs(100, 600_000).default(10_000),

  /** Unset: embedded PGlite in memory. Set: a real PostgreSQL through `pg`. */
  DATABASE_URL: z
    .string()
    .url()
    .refine((v) => /^postgres(ql)?:\/\//i.test(v), {
      message:
        'only PostgreSQL is supported: expected postgres://user:pass@host:5432/db (unset: embedded PGlite)',
    })
    .optional(),
  /** PostgreSQL schema to create and use (search_path). Default: the server's default (public). */
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier')
    .optional(),
  SEED: bool(true),
  SEED_PATIENTS: z.coerce.number().int().min(1).max(1_000_000).default(5_000),
  SEED_APPOINTMENTS: z.coerce.number().int().min(1).max(10_000_000).default(40_000),

  JWT_SECRET: z.string().optional(),
  /** Bearer accepted by the status page's data in production (besides a school admin token). */
  STATUS_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  SESSION_SECRET: z.string().optional(),
  /** Care sessions while Redis is unreachable: 'deny' (503) or 'memory' (single-instance fallback). */
  SESSION_ON_REDIS_ERROR: z.enum(['deny', 'memory']).optional(),

  /** Master switch for the response/data caches (off: every read goes to the database). */
  CACHE_ENABLED: bool(true),
  /** L1 entries per cache in two-tier mode. 0 (default): Redis only while it is up (read-after-write fresh on every instance), memory only while it is down. */
  CACHE_L1_MAX_ENTRIES: z.coerce.number().int().min(0).max(1_000_000).default(0),

  /** Off-switch for every limiter (load tests). */
  RATE_LIMIT_ENABLED: bool(true),
  GLOBAL_RATE_LIMIT: z.coerce.number().int().min(1).default(100),
  GLOBAL_RATE_WINDOW: duration.default('15m'),
  API_RATE_LIMIT: z.coerce.number().int().min(1).default(60),
  API_RATE_WINDOW: duration.default('1m'),
  AUTH_RATE_LIMIT: z.coerce.number().int().min(1).default(5),
  AUTH_RATE_WINDOW: duration.default('15m'),
  /** School self-service signups per client address. */
  SIGNUP_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  SIGNUP_RATE_WINDOW: duration.default('1h'),
  /** School e-mails (verification, reset, invite) per recipient address. */
  MAIL_RATE_LIMIT: z.coerce.number().int().min(1).default(10),
  MAIL_RATE_WINDOW: duration.default('1h'),
  /** Rate limits while Redis is unreachable. */
  RATE_LIMIT_ON_REDIS_ERROR: z.enum(['memory', 'allow', 'deny']).default('memory'),

  /**
   * Guide 004's switch: never put jobs in Redis; each job runs in this process instead (the jobs
   * package's inline fallback, logged once). `REDIS_ENABLED=false` does the same.
   */
  DISABLE_BACKGROUND_JOBS: bool(false),
  /** Run this instance's job workers in-process. Off: it only enqueues (workers run elsewhere). */
  WORKERS_ENABLED: bool(true),
  /** How long a shutdown waits for running jobs before leaving them to another worker. */
  // at most 8 s: the process exits hard 10 s after SIGTERM (main.ts), and closing the workers and
  // producers after the running jobs may take up to 1 s each
  JOBS_SHUTDOWN_TIMEOUT: durationMs(100, 8_000).default(5_000),

  // The dental and care jobs (jobs/clinical.ts), in milliseconds once parsed.
  /** How long before an appointment its reminder goes out (at once when booked closer). Default 24h. */
  DENTAL_REMINDER_LEAD: jobDelay.default(24 * 3_600_000),
  /** How long after a treatment the follow-up-monitor job looks for a booked appointment. Default 7d. */
  DENTAL_FOLLOW_UP_AFTER: jobDelay.default(7 * 86_400_000),
  /** How long before each medication dose the carer is reminded. Default 10m. */
  CARE_MEDICATION_REMINDER_LEAD: jobDelay.default(10 * 60_000),
  /** When the daily adherence check runs (cron, UTC); it checks the day before. */
  CARE_ADHERENCE_CRON: z
    .string()
    .regex(/^\S+( \S+){4,5}$/, "expected a cron pattern such as '0 6 * * *'")
    .default('0 6 * * *'),
});

type RawEnv = z.infer<typeof envSchema>;

export interface AppEnv
  extends Omit<
    RawEnv,
    | 'JWT_SECRET'
    | 'SESSION_SECRET'
    | 'SESSION_ON_REDIS_ERROR'
    | 'TRUST_PROXY'
    | 'CACHE_ENCRYPTION_KEYS'
    | 'CORS_ORIGINS'
  > {
  TRUST_PROXY: number;
  /** Newest first; the first seals new values. */
  CACHE_ENCRYPTION_KEYS: CacheKeys;
  /** `'*'`, or the exact origins allowed (empty: no cross-origin access). */
  CORS_ORIGINS: '*' | string[];
  JWT_SECRET: string;
  SESSION_SECRET: string;
  SESSION_ON_REDIS_ERROR: 'deny' | 'memory';
  /** REQUEST_TIMEOUT in milliseconds. */
  REQUEST_TIMEOUT: number;
  /** The environment `loadRedisConfig` reads: guide variables translated (see guide-env.ts). */
  redisEnv: Record<string, string | undefined>;
  /** Human-readable warnings to log once at start (dev secrets in use, ...). */
  warnings: string[];
}

export { AppConfigError };

function secret(
  raw: RawEnv,
  name: 'JWT_SECRET' | 'SESSION_SECRET',
  fallback: string,
  warnings: string[],
): string {
  const value = raw[name];
  if (raw.NODE_ENV === 'production') {
    if (!value)
      throw new AppConfigError(
        `${name} is required when NODE_ENV=production (at least 32 characters)`,
      );
    if (value.length < 32) {
      throw new AppConfigError(
        `${name} is too short: expected at least 32 characters in production, got ${value.length}`,
      );
    }
    // copied from this file or a development .env: public, so no secret
    if (value === DEV_JWT_SECRET || value === DEV_SESSION_SECRET)
      throw new AppConfigError(
        `${name} is the built-in development secret, refused when NODE_ENV=production: set a random value of at least 32 characters`,
      );
    return value;
  }
  if (!value) {
    warnings.push(
      `${name} is not set: using a built-in development secret (never do this in production)`,
    );
    return fallback;
  }
  if (value.length < 32)
    warnings.push(`${name} is shorter than 32 characters: it would be rejected in production`);
  return value;
}

export function loadAppEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const shown = /SECRET|TOKEN|DATABASE_URL|KEYS/.test(name)
        ? '<redacted>'
        : JSON.stringify(env[name]);
      return `${name}=${shown} is invalid: ${issue.message}`;
    });
    throw new AppConfigError(problems.join('; '));
  }
  const raw = parsed.data;
  const { redisEnv, notes } = translateGuideEnv(cleaned);
  const warnings: string[] = [...notes];
  const JWT_SECRET = secret(raw, 'JWT_SECRET', DEV_JWT_SECRET, warnings);
  const SESSION_SECRET = secret(raw, 'SESSION_SECRET', DEV_SESSION_SECRET, warnings);
  if (!raw.RATE_LIMIT_ENABLED) warnings.push('RATE_LIMIT_ENABLED=false: every rate limit is off');
  const production = raw.NODE_ENV === 'production';
  if (production && raw.TRUST_PROXY === undefined)
    throw new AppConfigError(
      'TRUST_PROXY is required when NODE_ENV=production: set TRUST_PROXY=0 when clients connect to this process directly, or the number of proxies in front of it (TRUST_PROXY=1 behind one load balancer or ingress)',
    );
  const CACHE_ENCRYPTION_KEYS = cacheEncryptionKeys(
    raw.CACHE_ENCRYPTION_KEYS,
    production,
    SESSION_SECRET,
    warnings,
  );
  const CORS_ORIGINS = corsSettings(raw.CORS_ORIGINS, raw.CORS_CREDENTIALS, production, warnings);
  return {
    ...raw,
    TRUST_PROXY: raw.TRUST_PROXY ?? 0,
    CACHE_ENCRYPTION_KEYS,
    CORS_ORIGINS,
    JWT_SECRET,
    SESSION_SECRET,
    // Production: a session must never silently live in one instance's memory.
    SESSION_ON_REDIS_ERROR:
      raw.SESSION_ON_REDIS_ERROR ?? (raw.NODE_ENV === 'production' ? 'deny' : 'memory'),
    redisEnv,
    warnings,
  };
}
