import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { ENV_VARIABLES, loadRedisConfig } from '@redis-toolkit/connection';
import { describe, expect, it } from 'vitest';
import { AppConfigError, loadAppEnv } from '../src/env.js';
import { Client, startApp } from './helpers.js';

const long = 'x'.repeat(32);
const KEY = Buffer.alloc(32, 7).toString('base64');
/** What production needs besides the secrets (production-checklist.test.ts tests each). */
const PRODUCTION = { NODE_ENV: 'production', TRUST_PROXY: '1', CACHE_ENCRYPTION_KEYS: `k1:${KEY}` };

describe('environment', () => {
  it('defaults: port 3000, dev secrets with a warning, limits from the guides', () => {
    const env = loadAppEnv({});
    expect(env.PORT).toBe(3000);
    expect(env.GLOBAL_RATE_LIMIT).toBe(100);
    expect(env.GLOBAL_RATE_WINDOW).toBe('15m');
    expect(env.API_RATE_LIMIT).toBe(60);
    expect(env.API_RATE_WINDOW).toBe('1m');
    expect(env.RATE_LIMIT_ENABLED).toBe(true);
    expect(env.SESSION_ON_REDIS_ERROR).toBe('memory');
    expect(env.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(env.warnings.join('\n')).toMatch(/JWT_SECRET is not set/);
    expect(env.warnings.join('\n')).toMatch(/SESSION_SECRET is not set/);
  });

  it('production requires both secrets, at least 32 characters, and fails sessions closed', () => {
    expect(() => loadAppEnv({ NODE_ENV: 'production', SESSION_SECRET: long })).toThrow(
      /JWT_SECRET is required/,
    );
    expect(() =>
      loadAppEnv({ NODE_ENV: 'production', JWT_SECRET: long, SESSION_SECRET: 'short' }),
    ).toThrow(/SESSION_SECRET is too short/);
    const env = loadAppEnv({ ...PRODUCTION, JWT_SECRET: long, SESSION_SECRET: long });
    expect(env.warnings).toEqual([]);
    expect(env.SESSION_ON_REDIS_ERROR).toBe('deny');
  });

  it('bad values name the variable and never echo a secret', () => {
    expect(() => loadAppEnv({ RATE_LIMIT_ENABLED: 'maybe' })).toThrow(
      /RATE_LIMIT_ENABLED="maybe" is invalid/,
    );
    expect(() => loadAppEnv({ API_RATE_WINDOW: '5 minutes' })).toThrow(/API_RATE_WINDOW/);
    expect(() => loadAppEnv({ DATABASE_URL: 'not a url with secret' })).toThrow(
      /DATABASE_URL=<redacted>/,
    );
    expect(() => loadAppEnv({ DATABASE_SCHEMA: 'Robert; drop' })).toThrow(AppConfigError);
    expect(loadAppEnv({ RATE_LIMIT_ENABLED: 'off' }).RATE_LIMIT_ENABLED).toBe(false);
  });

  it('REQUEST_TIMEOUT: seconds or a duration, default 10 s', () => {
    expect(loadAppEnv({}).REQUEST_TIMEOUT).toBe(10_000);
    expect(loadAppEnv({ REQUEST_TIMEOUT: '3' }).REQUEST_TIMEOUT).toBe(3_000);
    expect(loadAppEnv({ REQUEST_TIMEOUT: '10s' }).REQUEST_TIMEOUT).toBe(10_000);
    expect(loadAppEnv({ REQUEST_TIMEOUT: '1.5s' }).REQUEST_TIMEOUT).toBe(1_500);
    expect(loadAppEnv({ REQUEST_TIMEOUT: '500ms' }).REQUEST_TIMEOUT).toBe(500);
    expect(loadAppEnv({ REQUEST_TIMEOUT: '2m' }).REQUEST_TIMEOUT).toBe(120_000);
    expect(() => loadAppEnv({ REQUEST_TIMEOUT: 'soon' })).toThrow(
      /REQUEST_TIMEOUT="soon" is invalid/,
    );
    expect(() => loadAppEnv({ REQUEST_TIMEOUT: '0' })).toThrow(/REQUEST_TIMEOUT/);
    expect(() => loadAppEnv({ REQUEST_TIMEOUT: '1h' })).toThrow(/REQUEST_TIMEOUT/);
  });

  it('JOBS_SHUTDOWN_TIMEOUT: default 5 s, refused past what the 10 s hard exit leaves', () => {
    expect(loadAppEnv({}).JOBS_SHUTDOWN_TIMEOUT).toBe(5_000);
    expect(loadAppEnv({ JOBS_SHUTDOWN_TIMEOUT: '8s' }).JOBS_SHUTDOWN_TIMEOUT).toBe(8_000);
    expect(() => loadAppEnv({ JOBS_SHUTDOWN_TIMEOUT: '30s' })).toThrow(
      /JOBS_SHUTDOWN_TIMEOUT.*at most 8000 ms/,
    );
  });
});

describe("the guides' REDIS_* / CACHE_* variables", () => {
  const redis = (env: Record<string, string>) => loadRedisConfig(loadAppEnv(env).redisEnv);

  it('every variable the guides use is read by the toolkit, translated, or refused', () => {
    // The guides live outside the repo: read them when present, and always check the names they
    // used when this test was written.
    const guides = '/work/shared/guides';
    const text = existsSync(guides)
      ? readdirSync(guides)
          .filter((f) => f.endsWith('.txt'))
          .map((f) => readFileSync(`${guides}/${f}`, 'utf8'))
          .join('\n')
      : '';
    const used = new Set(text.match(/\b(REDIS|CACHE)_[A-Z0-9_]+/g) ?? []);
    for (const v of [
      'CACHE_PROVIDER',
      'CACHE_TTL_DAY',
      'CACHE_TTL_LONG',
      'CACHE_TTL_MEDIUM',
      'CACHE_TTL_SHORT',
      'REDIS_CONNECT_TIMEOUT',
      'REDIS_MAX_RETRIES',
      'REDIS_RETRY_DELAY',
      'REDIS_RETRY_STRATEGY',
    ])
      used.add(v);
    const toolkit = new Set<string>(Object.values(ENV_VARIABLES));
    const translated: Record<string, string> = {
      CACHE_PROVIDER: 'memory',
      REDIS_CONNECT_TIMEOUT: '10000',
      REDIS_MAX_RETRIES: '3',
      REDIS_RETRY_DELAY: '500',
      REDIS_RETRY_STRATEGY: 'exponential',
    };
    // REDIS_CONNECT_TIMEOUT is also the toolkit's name: the guides' bare ms still gets a note
    expect(loadAppEnv({ REDIS_CONNECT_TIMEOUT: '10000' }).warnings.join('\n')).toContain(
      'REDIS_CONNECT_TIMEOUT=10000 has no unit',
    );
    for (const name of used) {
      if (toolkit.has(name)) continue;
      if (name in translated) {
        const env = loadAppEnv({ [name]: translated[name] as string });
        expect(env.warnings.join('\n'), name).toContain(name);
      } else {
        expect(() => loadAppEnv({ [name]: '300' }), name).toThrow(
          new RegExp(`${name} is not supported`),
        );
      }
    }
  });

  it('CACHE_PROVIDER=memory runs without Redis (REDIS_ENABLED=false); =redis is the default', () => {
    expect(redis({ CACHE_PROVIDER: 'memory', REDIS_URL: 'redis://h:6379' }).enabled).toBe(false);
    expect(redis({ CACHE_PROVIDER: 'memory', REDIS_ENABLED: 'false' }).enabled).toBe(false);
    expect(redis({ CACHE_PROVIDER: 'redis' }).enabled).toBe(true);
    expect(() => loadAppEnv({ CACHE_PROVIDER: 'memory', REDIS_ENABLED: 'true' })).toThrow(
      /CACHE_PROVIDER=memory conflicts with REDIS_ENABLED=true/,
    );
    expect(() => loadAppEnv({ CACHE_PROVIDER: 'memcached' })).toThrow(
      /CACHE_PROVIDER="memcached" is invalid.*REDIS_ENABLED/,
    );
  });

  it('CACHE_PROVIDER=memory: the app starts with no Redis client and serves', async () => {
    // A URL nothing listens on: should the translation ever break, nothing reaches a real Redis.
    const app = await startApp({
      CACHE_PROVIDER: 'memory',
      REDIS_URL: 'redis://127.0.0.1:1',
      SEED: 'false',
    });
    try {
      expect(app.redis.client).toBeNull();
      // serves: the document, and a 401 (no staff seeded to sign in) rather than a 5xx
      expect((await Client.for(app).get('/openapi.json')).status).toBe(200);
      expect((await Client.for(app).get('/dental/staff')).status).toBe(401);
    } finally {
      await app.shutdown();
    }
  }, 60_000);

  it('REDIS_CONNECT_TIMEOUT, REDIS_RETRY_DELAY, REDIS_MAX_RETRIES feed the toolkit settings', () => {
    const config = redis({
      REDIS_CONNECT_TIMEOUT: '10000',
      REDIS_RETRY_DELAY: '500',
      REDIS_MAX_RETRIES: '3',
      REDIS_RETRY_STRATEGY: 'exponential',
    });
    expect(config).toMatchObject({
      enabled: true,
      connectTimeoutMs: 10_000,
      retryBaseMs: 500,
      maxRetriesPerRequest: 3,
      warnings: [],
    });
    const warnings = loadAppEnv({
      REDIS_CONNECT_TIMEOUT: '10000',
      REDIS_RETRY_DELAY: '500',
    }).warnings.join('\n');
    // the guides write milliseconds without a unit; the toolkit would read seconds
    expect(warnings).toMatch(
      /REDIS_CONNECT_TIMEOUT=10000 has no unit: read as 10000ms, the guides' unit .*write REDIS_CONNECT_TIMEOUT=10000ms/,
    );
    expect(warnings).toMatch(/REDIS_RETRY_DELAY=500 read as REDIS_RETRY_BASE=500ms/);
  });

  it("REDIS_CONNECT_TIMEOUT with a unit is the toolkit's duration, passed on without a note", () => {
    expect(redis({ REDIS_CONNECT_TIMEOUT: '10s' })).toMatchObject({ connectTimeoutMs: 10_000 });
    expect(redis({ REDIS_CONNECT_TIMEOUT: '750ms' })).toMatchObject({ connectTimeoutMs: 750 });
    expect(loadAppEnv({ REDIS_CONNECT_TIMEOUT: '10s' }).warnings.join('\n')).not.toMatch(
      /REDIS_CONNECT_TIMEOUT/,
    );
    // the deprecated toolkit variable still works, with the toolkit's deprecation warning
    expect(redis({ REDIS_CONNECT_TIMEOUT_MS: '500' })).toMatchObject({
      connectTimeoutMs: 500,
      warnings: [
        expect.stringMatching(/REDIS_CONNECT_TIMEOUT_MS is deprecated: use REDIS_CONNECT_TIMEOUT/),
      ],
    });
  });

  it('bad or conflicting guide values name both variables', () => {
    expect(() => loadAppEnv({ REDIS_CONNECT_TIMEOUT: '1.5' })).toThrow(
      /REDIS_CONNECT_TIMEOUT=1.5 has no unit: the guides mean milliseconds, redis-toolkit seconds/,
    );
    expect(() => loadAppEnv({ REDIS_CONNECT_TIMEOUT: '99999999' })).toThrow(
      /REDIS_CONNECT_TIMEOUT=99999999 is invalid: expected a connect timeout as milliseconds/,
    );
    expect(() =>
      redis({ REDIS_CONNECT_TIMEOUT: '10000', REDIS_CONNECT_TIMEOUT_MS: '5000' }),
    ).toThrow(
      /REDIS_CONNECT_TIMEOUT_MS="5000" is invalid: expected not to be combined with REDIS_CONNECT_TIMEOUT/,
    );
    expect(() => loadAppEnv({ REDIS_RETRY_DELAY: '5s' })).toThrow(
      /REDIS_RETRY_DELAY="5s" is invalid.*milliseconds.*REDIS_RETRY_BASE/,
    );
    expect(() => loadAppEnv({ REDIS_RETRY_DELAY: '500', REDIS_RETRY_BASE: '1s' })).toThrow(
      /REDIS_RETRY_DELAY=500 conflicts with REDIS_RETRY_BASE=1s/,
    );
    expect(() => loadAppEnv({ REDIS_RETRY_DELAY: '500', REDIS_RETRY_BASE_MS: '200' })).toThrow(
      /REDIS_RETRY_DELAY=500 conflicts with REDIS_RETRY_BASE_MS=200/,
    );
    expect(() =>
      loadAppEnv({ REDIS_MAX_RETRIES: '3', REDIS_MAX_RETRIES_PER_REQUEST: '1' }),
    ).toThrow(/REDIS_MAX_RETRIES=3 conflicts with REDIS_MAX_RETRIES_PER_REQUEST=1/);
    expect(() => loadAppEnv({ REDIS_MAX_RETRIES: 'many' })).toThrow(/REDIS_MAX_RETRIES="many"/);
    expect(() => loadAppEnv({ REDIS_RETRY_STRATEGY: 'linear' })).toThrow(
      /REDIS_RETRY_STRATEGY="linear" is not supported.*REDIS_RETRY_BASE and REDIS_RETRY_MAX/,
    );
    expect(() => loadAppEnv({ CACHE_TTL_SHORT: '300' })).toThrow(
      /CACHE_TTL_SHORT is not supported by redis-toolkit/,
    );
    // Matching values are not a conflict.
    expect(redis({ REDIS_RETRY_DELAY: '200', REDIS_RETRY_BASE: '200ms' })).toMatchObject({
      retryBaseMs: 200,
    });
    expect(redis({ REDIS_RETRY_DELAY: '200', REDIS_RETRY_BASE_MS: '200' })).toMatchObject({
      retryBaseMs: 200,
    });
  });
});
