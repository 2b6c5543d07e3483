import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.js';
import { Client, logCapture, startApp } from './helpers.js';

// One database for every app in this file (each app would otherwise pay PGlite's start + seed).
let database: DatabaseHandle;
beforeAll(async () => {
  database = await openDatabase({ seed: { patients: 200, appointments: 1_000 } });
});
afterAll(async () => {
  await database?.close();
});

describe('started while Redis is down, then Redis comes up', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
    await redis.kill();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('serves every use case from memory, then returns to Redis by itself', async () => {
    const app = await startApp(
      {
        REDIS_URL: redis.url,
        RATE_LIMIT_ENABLED: 'true',
        GLOBAL_RATE_LIMIT: '100000',
        API_RATE_LIMIT: '100000',
        REDIS_CONNECT_TIMEOUT: '500ms',
      },
      database,
    );
    try {
      const c = Client.for(app, { useCookies: true });
      const ready = await c.get('/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      expect(ready.body.checks.database.healthy).toBe(true);

      // Dental: cached in this instance's memory; a write still invalidates.
      const staff = { email: 'admin@dental.test', password: 'demo-password' };
      expect((await c.post('/dental/auth/login', staff)).status).toBe(200);
      expect((await c.get('/dental/patients/5')).headers.get('x-cache')).toBe('MISS');
      const hit = await c.get('/dental/patients/5');
      expect(hit.headers.get('x-cache')).toBe('HIT');
      expect(hit.headers.get('ratelimit')).toMatch(/remaining=/); // limits counted in memory
      expect((await c.patch('/dental/patients/5', { phone: '+1-555-5555' })).status).toBe(200);
      expect((await c.get('/dental/patients/5')).body.phone).toBe('+1-555-5555');

      // School: no new tokens while revocation state is unknown (the blacklist's issuance check).
      const refused = await c.post('/school/auth/login', {
        email: 'student@school.test',
        password: 'demo-password',
      });
      expect(refused.status).toBe(503);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refused.body.error.code).toBe('E_BLACKLIST_UNAVAILABLE');

      // Care: sessions follow SESSION_ON_REDIS_ERROR (memory outside production).
      expect(
        (await c.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' }))
          .status,
      ).toBe(200);
      expect((await c.get('/care/me')).status).toBe(200);
      expect((await c.post('/care/presence/heartbeat')).body.source).toBe('memory');

      const metrics = (await c.get('/metrics')).body as string;
      expect(metrics).toMatch(/redis_up 0/);
      expect(metrics).toMatch(/redis_available 0/);
      expect(metrics).toMatch(/store="memory"/);

      await redis.restart();
      await waitUntil(async () => (await c.get('/ready')).body.status === 'ok', {
        what: 'ready ok',
        timeoutMs: 15_000,
      });
      // Back on Redis: entries go to Redis, and the revocation made during the outage was replayed.
      // The cache leaves memory by itself once its replay probe reaches Redis (within a cooldown).
      await waitUntil(
        async () => {
          await c.get('/dental/patients/6');
          return (await redis.cli('EXISTS', 'dental:cache:patient:6')) === '1';
        },
        { what: 'entries written to Redis again' },
      );
      expect((await c.get('/dental/patients/6')).headers.get('x-cache')).toBe('HIT');
      // Issuing again once Redis is back (and the outbox drained).
      await waitUntil(
        async () =>
          (
            await c.post('/school/auth/login', {
              email: 'student@school.test',
              password: 'demo-password',
            })
          ).status === 200,
        { what: 'login accepted again' },
      );
    } finally {
      await app.shutdown();
    }
  });
});

describe('REDIS_ENABLED=false', () => {
  it('runs every package memory-only: no client, one info line each, no stack, sessions listed', async () => {
    const log = logCapture();
    const app = await startApp(
      { REDIS_ENABLED: 'false', RATE_LIMIT_ENABLED: 'true', LOG_LEVEL: 'info' },
      database,
      { logStream: log.stream },
    );
    try {
      expect(app.redis.client).toBeNull();
      expect(app.redis.runtime).toBeUndefined();
      const c = Client.for(app, { useCookies: true });
      expect((await c.get('/ready')).body).toMatchObject({
        status: 'degraded',
        checks: { redis: { healthy: false, status: 'disabled' } },
      });
      const staff = { email: 'admin@dental.test', password: 'demo-password' };
      expect((await c.post('/dental/auth/login', staff)).status).toBe(200);
      await c.get('/dental/dashboard/stats');
      expect((await c.get('/dental/dashboard/stats')).headers.get('x-cache')).toBe('HIT');
      expect(
        (await c.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' }))
          .status,
      ).toBe(200);
      expect((await c.get('/care/clients')).status).toBe(200);
      const sessions = await c.get('/care/sessions');
      expect(sessions.status).toBe(200);
      expect(sessions.body.items).toHaveLength(1);
      // Memory-only: the blacklist can always vouch for its revocations, so tokens are issued.
      const tokens = (
        await c.post('/school/auth/login', {
          email: 'student@school.test',
          password: 'demo-password',
        })
      ).body;
      const refreshed = await c.post('/school/auth/refresh', { refreshToken: tokens.refreshToken });
      expect(refreshed.status).toBe(200);
      expect(
        (await c.post('/school/auth/logout', undefined, { token: tokens.accessToken })).status,
      ).toBe(204);
      expect((await c.get('/school/me', { token: tokens.accessToken })).status).toBe(401);

      const memoryOnly = log.lines.filter((l) => /memory-only/.test(String(l.msg)));
      const perPackage = new Map<string, number>();
      for (const line of memoryOnly) {
        const pkg = String(line.package);
        perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + 1);
      }
      // One line per instance: 3 caches, the blacklist, the refresh and one-time tokens, the care
      // and dental sessions, 7 limiters (5 HTTP ones, signups, e-mails per recipient).
      expect(Object.fromEntries(perPackage)).toMatchObject({
        cache: 3,
        blacklist: 1,
        tokens: 2,
        session: 2,
        ratelimit: 7,
      });
      // The job queues say what they do instead: run each job in this process.
      expect(log.lines.filter((l) => l.package === 'jobs' && l.level === 30)).toHaveLength(1);
      expect(memoryOnly.every((l) => l.level === 30)).toBe(true);
      expect(log.text()).not.toMatch(/ECONNREFUSED|\\n\s+at /);
      expect(log.lines.filter((l) => Number(l.level) >= 40).map((l) => l.msg)).toEqual([
        'JWT_SECRET is not set: using a built-in development secret (never do this in production)',
        'SESSION_SECRET is not set: using a built-in development secret (never do this in production)',
        'CACHE_ENCRYPTION_KEYS is not set: the dental and care caches are sealed with a development key derived from SESSION_SECRET (never do this in production)',
        // the documented inline fallback: cron schedulers (the daily adherence check) do not run
        'jobs: cron patterns do not run in inline mode (queue adherence-check)',
      ]);
    } finally {
      await app.shutdown();
    }
  });
});

describe('SESSION_ON_REDIS_ERROR=deny while Redis is down', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('care answers 503 E_SESSION_UNAVAILABLE with Retry-After, and serves again once Redis is back', async () => {
    const app = await startApp({ REDIS_URL: redis.url, SESSION_ON_REDIS_ERROR: 'deny' }, database);
    try {
      const c = Client.for(app, { useCookies: true });
      expect(
        (await c.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' }))
          .status,
      ).toBe(200);
      await redis.kill();
      await waitUntil(() => app.redis.runtime?.available === false, { what: 'outage seen' });
      for (const path of ['/care/me', '/care/sessions']) {
        const res = await c.get(path);
        expect(res.status).toBe(503);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(res.body).toEqual({
          error: { code: 'E_SESSION_UNAVAILABLE', message: expect.any(String) },
        });
      }
      await redis.restart();
      // The killed server restarts empty (no persistence here): the session is gone, not stuck.
      await waitUntil(async () => (await c.get('/care/me')).status !== 503, {
        what: 'sessions answered from Redis again',
      });
      expect(
        (await c.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' }))
          .status,
      ).toBe(200);
      expect((await c.get('/care/me')).status).toBe(200);
    } finally {
      await app.shutdown();
    }
  });
});

describe('with Redis up', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('global and API limits come from env; probes are never limited', async () => {
    const app = await startApp(
      {
        REDIS_URL: redis.url,
        RATE_LIMIT_ENABLED: 'true',
        GLOBAL_RATE_LIMIT: '6',
        API_RATE_LIMIT: '3',
      },
      database,
    );
    try {
      await app.redis.waitUntilReady();
      const c = Client.for(app);
      // anonymous (401) calls count too: the API limit runs before the session check
      for (let i = 0; i < 3; i++) expect((await c.get('/dental/staff')).status).toBe(401);
      const api = await c.get('/dental/staff');
      expect(api.status).toBe(429);
      expect(api.body.error.code).toBe('E_RATELIMIT_LIMITED');
      expect((await c.get('/openapi.json')).status).toBe(200);
      expect((await c.get('/openapi.json')).status).toBe(200);
      expect((await c.get('/openapi.json')).status).toBe(429);
      for (let i = 0; i < 10; i++) expect((await c.get('/health')).status).toBe(200);
      expect((await c.get('/ready')).status).toBe(200);
      const text = (await c.get('/metrics')).body as string;
      expect(text).toMatch(/rate_limit_blocked_total\{limiter="api"\} 1/);
      expect(text).toMatch(/rate_limit_blocked_total\{limiter="global"\} 1/);
    } finally {
      await app.shutdown();
    }
  });

  it('RATE_LIMIT_ENABLED=false turns every limit off', async () => {
    const app = await startApp(
      {
        REDIS_URL: redis.url,
        RATE_LIMIT_ENABLED: 'false',
        GLOBAL_RATE_LIMIT: '1',
        API_RATE_LIMIT: '1',
      },
      database,
    );
    try {
      const c = Client.for(app);
      for (let i = 0; i < 5; i++) expect((await c.get('/dental/staff')).status).toBe(401);
    } finally {
      await app.shutdown();
    }
  });

  it('graceful shutdown ends open SSE streams and finishes well within 10 s', async () => {
    const app = await startApp({ REDIS_URL: redis.url }, database);
    const c = Client.for(app, { useCookies: true });
    await c.post('/care/auth/login', { email: 'nurse@care.test', password: 'demo-password' });
    const res = await fetch(`${c.base}/care/alerts/stream`, {
      headers: { cookie: c.cookieHeader() },
    });
    expect(res.status).toBe(200);
    const body = res.text();
    const started = Date.now();
    await app.shutdown('test');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await body).toMatch(/event: shutdown/);
  });

  it('/ready is 503 when the database is down, and bad input is still a 4xx', async () => {
    const own = await openDatabase({ seed: { patients: 20, appointments: 50 } });
    const app = await startApp({ REDIS_URL: redis.url }, own);
    try {
      const c = Client.for(app);
      expect((await c.get('/ready')).status).toBe(200);
      await own.close();
      const ready = await c.get('/ready');
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({
        status: 'unavailable',
        checks: { database: { healthy: false } },
      });
      // a session is asked before the id is read: anonymous is a 401, never a 5xx
      expect((await c.get('/dental/patients/abc')).status).toBe(401);
    } finally {
      await app.shutdown();
    }
  });
});
