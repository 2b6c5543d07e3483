import { describe, expect, it } from 'vitest';
import { Client, dentalClient, startApp } from './helpers.js';
import { sharedServers } from './shared-servers.js';

// Issue 10's first finding, in one process: with Redis hung (SIGSTOP), one request ran the
// cache, session, limiter and blacklist calls one after another, and every request paid 1-2 s.
// Now every package on the app's one connection shares one health state: the first request may
// pay one command timeout, every later one answers from the packages' policies without waiting
// on Redis. Target (issue 10): during a 12 s hang, after the first request every request answers
// in <= 150 ms. Rate limits on, so the limiter is on every route too.
const HANG_MS = 12_000;
const TARGET_MS = 150;
const COMMAND_TIMEOUT_MS = 500; // createRedis caps the runtime's deadline at 500 ms

describe('a hung Redis costs one command timeout, not one per request', () => {
  const servers = sharedServers();

  it(`during a ${HANG_MS / 1000} s SIGSTOP, requests after the first answer without waiting on Redis`, async () => {
    const app = await startApp(
      {
        REDIS_URL: servers.redis.url,
        RATE_LIMIT_ENABLED: 'true',
        GLOBAL_RATE_LIMIT: '100000',
        API_RATE_LIMIT: '100000',
        AUTH_RATE_LIMIT: '100000',
        SESSION_ON_REDIS_ERROR: 'deny',
      },
      servers.database,
    );
    try {
      // Signed in before the hang: a dental staff session (cookie), a school JWT, a care session.
      const dental = await dentalClient(app, 'dentist');
      const school = Client.for(app);
      const { accessToken } = (
        await school.post('/school/auth/login', {
          email: 'teacher@school.test',
          password: 'demo-password',
        })
      ).body;
      expect(typeof accessToken).toBe('string');
      const care = Client.for(app, { useCookies: true });
      const careLogin = await care.post('/care/auth/login', {
        email: 'carer@care.test',
        password: 'demo-password',
      });
      expect(careLogin.status).toBe(200);
      const routes: [string, () => Promise<{ status: number; headers: Headers }>][] = [
        ['dental patient (session, cache, limiter)', () => dental.get('/dental/patients/1')],
        ['dental stats (session, cache, limiter)', () => dental.get('/dental/dashboard/stats')],
        ['school me (blacklist, limiter)', () => school.get('/school/me', { token: accessToken })],
        [
          'school dashboard (blacklist, limiter, cache)',
          () => school.get('/school/dashboard', { token: accessToken }),
        ],
        ['care me (session, limiter)', () => care.get('/care/me')],
      ];
      for (const [name, call] of routes) expect((await call()).status, name).toBe(200);

      servers.redis.pause();
      const samples: { route: string; ms: number; status: number }[] = [];
      const xCache: Record<string, number> = {};
      let first: { ms: number; status: number } | undefined;
      try {
        const until = performance.now() + HANG_MS;
        for (let i = 0; performance.now() < until; i++) {
          const [route, call] = routes[i % routes.length]!;
          const started = performance.now();
          const res = await call();
          const ms = performance.now() - started;
          const x = res.headers.get('x-cache');
          if (x) xCache[x] = (xCache[x] ?? 0) + 1;
          if (first === undefined) first = { ms, status: res.status };
          else samples.push({ route, ms, status: res.status });
          await new Promise((r) => setTimeout(r, 20));
        }
      } finally {
        servers.redis.resume();
      }
      const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
      const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))]!;
      const byStatus: Record<number, number> = {};
      for (const s of samples) byStatus[s.status] = (byStatus[s.status] ?? 0) + 1;
      const slowest = [...samples].sort((a, b) => b.ms - a.ms).slice(0, 3);
      console.info(
        `hang: first ${first?.ms.toFixed(0)} ms (${first?.status}); after it n=${samples.length} p50 ${p(0.5).toFixed(1)} / p99 ${p(0.99).toFixed(1)} / max ${p(1).toFixed(1)} ms; by status ${JSON.stringify(byStatus)}, X-Cache ${JSON.stringify(xCache)}; slowest ${slowest.map((s) => `${s.route} ${s.ms.toFixed(0)} ms`).join(', ')}`,
      );
      expect(samples.length).toBeGreaterThan(50);
      // the first request pays at most about one command timeout (the watchdog may have seen it first)
      expect(first!.ms).toBeLessThan(COMMAND_TIMEOUT_MS * 3);
      // no later request waited for Redis (a wait costs a whole command timeout) ...
      expect(p(1)).toBeLessThan(COMMAND_TIMEOUT_MS);
      // ... and the target holds at the 99th percentile (a stray GC or scheduling stall on a
      // loaded 2-core machine is not a Redis wait; the max is printed above)
      expect(p(0.99)).toBeLessThanOrEqual(TARGET_MS);
      // every answer is a policy answer or a served one: nothing is a 500
      expect(samples.filter((s) => s.status >= 500 && s.status !== 503)).toEqual([]);
    } finally {
      await app.shutdown();
    }
  }, 60_000);
});
