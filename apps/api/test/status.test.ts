import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { AppConfigError, loadAppEnv } from '../src/env.js';
import { startServer } from '../src/index.js';
import { Client, logCapture, PRODUCTION_ENV, startApp, TEST_ENV } from './helpers.js';
import { sharedServers } from './shared-servers.js';

describe('start checks', () => {
  it('refuses a DATABASE_URL that is not PostgreSQL, naming what it expects', () => {
    for (const url of ['mysql://root@localhost/db', 'sqlite:///tmp/x.db', 'mongodb://h/db']) {
      expect(() => loadAppEnv({ DATABASE_URL: url })).toThrow(AppConfigError);
      expect(() => loadAppEnv({ DATABASE_URL: url })).toThrow(
        /DATABASE_URL=<redacted> is invalid: only PostgreSQL is supported: expected postgres:\/\//,
      );
    }
    expect(loadAppEnv({ DATABASE_URL: 'postgresql://u@h:5432/d' }).DATABASE_URL).toBe(
      'postgresql://u@h:5432/d',
    );
  });

  it('reports a busy PORT before opening (and seeding) the database', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const { port } = blocker.address() as { port: number };
    const log = logCapture();
    try {
      const started = Date.now();
      await expect(
        startServer(
          { ...TEST_ENV, PORT: String(port), LOG_LEVEL: 'info', REDIS_ENABLED: 'false' },
          { logStream: log.stream },
        ),
      ).rejects.toThrow(new RegExp(`PORT=${port} is already in use`));
      // PGlite alone takes seconds: a refusal this fast never opened it.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(log.lines.some((l) => l.msg === 'database ready')).toBe(false);
    } finally {
      blocker.close();
    }
  });
});

describe('status page', () => {
  const servers = sharedServers();

  it('answers from the packages in development: one snapshot per call', async () => {
    const app = await startApp({ REDIS_URL: servers.redis.url }, servers.database);
    try {
      const c = Client.for(app);
      const page = await c.get('/');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect((await c.get('/status/assets/status.js')).status).toBe(200);
      const cache = app.platform.caches.dental!;
      await cache.getOrSet('status-test', async () => 1);
      await cache.getOrSet('status-test', async () => 1);
      const s = (await c.get('/status.json')).body;
      expect(s.redis.target).toBe(`redis://127.0.0.1:${servers.redis.port}/0`);
      expect(s.redis.outage).toBeNull();
      const dental = s.caches.find((x: { name: string }) => x.name === 'dental');
      // The same counters the cache itself reports.
      const own = app.platform.caches.dental!.stats();
      expect([dental.hit, dental.miss]).toEqual([own.hit, own.miss]);
      expect(dental.hit).toBeGreaterThanOrEqual(1);
      // the app's job queues (platform.jobs); their counts come with the sampler's next tick
      expect(s.jobs.stats.mode).toBe('redis');
      expect(typeof s.jobs.queues).toBe('object');
      expect(s.blacklist.inSync).toBe(true);
    } finally {
      await app.shutdown();
    }
  });

  it('in production: an admin token or STATUS_TOKEN, nothing else', async () => {
    const statusToken = 's'.repeat(24);
    const app = await startApp(
      {
        REDIS_URL: servers.redis.url,
        ...PRODUCTION_ENV,
        STATUS_TOKEN: statusToken,
      },
      servers.database,
    );
    try {
      const c = Client.for(app);
      expect((await c.get('/')).status).toBe(200); // the page itself holds no data
      const anonymous = await c.get('/status.json');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
      expect((await c.get('/status.json', { token: 'not-a-token' })).status).toBe(401);
      expect((await c.get('/status.json', { token: statusToken })).status).toBe(200);
      const signIn = async (email: string) =>
        (await c.post('/school/auth/login', { email, password: 'demo-password' })).body
          .accessToken as string;
      const student = await signIn('student@school.test');
      expect((await c.get('/status.json', { token: student })).status).toBe(403);
      const admin = await signIn('admin@school.test');
      expect((await c.get('/status.json', { token: admin })).status).toBe(200);
      // A revoked admin token is refused like everywhere else.
      expect((await c.post('/school/auth/logout', undefined, { token: admin })).status).toBe(204);
      expect((await c.get('/status.json', { token: admin })).status).toBe(401);
    } finally {
      await app.shutdown();
    }
  });
});
