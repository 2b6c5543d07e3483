import { describe, expect, it } from 'vitest';
import { Client, DENTAL_LOGINS, type DentalRoleName, logCapture, startApp } from './helpers.js';
import { sharedServers } from './shared-servers.js';

const long = 'x'.repeat(32);
const PRODUCTION = {
  NODE_ENV: 'production',
  TRUST_PROXY: '1',
  CACHE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  JWT_SECRET: long,
  SESSION_SECRET: long,
};

describe('background jobs foundation', () => {
  const servers = sharedServers();

  it('bull-board at /admin/queues is open in development and lists the six queues', async () => {
    const app = await startApp({ REDIS_URL: servers.redis.url }, servers.database);
    try {
      const c = Client.for(app);
      const page = await c.get('/admin/queues');
      expect(page.status).toBe(200);
      expect(String(page.body)).toContain('__UI_CONFIG__');
      const api = await c.get('/admin/queues/api/queues');
      expect(api.status).toBe(200);
      const names = (api.body.queues as { name: string }[]).map((q) => q.name).sort();
      expect(names).toEqual([
        'adherence-check',
        'appointment-reminder',
        'appointment-status',
        'email',
        'follow-up-monitor',
        'medication-reminder',
      ]);
      const metrics = await c.get('/metrics');
      expect(String(metrics.body)).toMatch(/jobs_queue_jobs\{queue="email",state="waiting"\} 0/);
    } finally {
      await app.shutdown();
    }
  });

  it('refuses anonymous and non-admin callers in production; a dental admin gets in', async () => {
    const app = await startApp({ REDIS_URL: servers.redis.url, ...PRODUCTION }, servers.database);
    try {
      const c = Client.for(app);
      const anonymous = await c.get('/admin/queues');
      expect(anonymous.status).toBe(401);
      expect(anonymous.body.error.code).toBe('E_API_UNAUTHENTICATED');
      expect((await c.get('/admin/queues/api/queues')).status).toBe(401);
      expect((await c.get('/admin/queues', { token: 'not-a-token' })).status).toBe(401);
      // Secure cookies: the session is only set over HTTPS, here the proxy's X-Forwarded-Proto
      const https = { 'x-forwarded-proto': 'https' };
      const staff = async (role: DentalRoleName) => {
        const client = Client.for(app, { useCookies: true });
        const login = await client.request('POST', '/dental/auth/login', {
          body: { email: DENTAL_LOGINS[role], password: 'demo-password' },
          headers: https,
        });
        expect(login.status).toBe(200);
        return client;
      };
      const receptionist = await staff('receptionist');
      expect((await receptionist.get('/admin/queues/api/queues', { headers: https })).status).toBe(
        403,
      );
      const admin = await staff('admin');
      expect((await admin.get('/admin/queues/api/queues', { headers: https })).status).toBe(200);
      // The board's writes with the admin cookie: refused from another origin, same-site ones
      // included (SameSite=Lax sends the cookie from another port or a sibling subdomain).
      const pause = '/admin/queues/api/queues/email/pause';
      const resume = '/admin/queues/api/queues/email/resume';
      const host = `127.0.0.1:${app.port}`;
      const foreign: Record<string, string>[] = [
        { 'sec-fetch-site': 'same-site', origin: 'https://ops.example.test' },
        { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
        { origin: 'https://evil.example' }, // a browser without Sec-Fetch-*
        { origin: 'null' },
      ];
      for (const headers of foreign) {
        const res = await admin.request('PUT', pause, { headers: { ...https, ...headers } });
        expect(res.status, JSON.stringify(headers)).toBe(403);
        expect(res.body.error.code).toBe('E_API_CSRF_INVALID');
      }
      const queues = async () =>
        (await admin.get('/admin/queues/api/queues', { headers: https })).body.queues as {
          name: string;
          isPaused: boolean;
        }[];
      expect((await queues()).find((q) => q.name === 'email')?.isPaused).toBe(false);
      // the board's own page (same origin), and a client that is not a browser (no Origin)
      const ownPage = { ...https, 'sec-fetch-site': 'same-origin', origin: `https://${host}` };
      expect((await admin.request('PUT', pause, { headers: ownPage })).status).toBe(200);
      expect((await queues()).find((q) => q.name === 'email')?.isPaused).toBe(true);
      expect((await admin.request('PUT', resume, { headers: https })).status).toBe(200);
      expect((await queues()).find((q) => q.name === 'email')?.isPaused).toBe(false);
      const oldBrowser = { ...https, origin: `https://${host}` };
      expect((await admin.request('PUT', resume, { headers: oldBrowser })).status).toBe(200);
      const student = (
        await c.post('/school/auth/login', {
          email: 'student@school.test',
          password: 'demo-password',
        })
      ).body.accessToken as string;
      expect((await c.get('/admin/queues/api/queues', { token: student })).status).toBe(403);
      const schoolAdmin = (
        await c.post('/school/auth/login', {
          email: 'admin@school.test',
          password: 'demo-password',
        })
      ).body.accessToken as string;
      expect((await c.get('/admin/queues/api/queues', { token: schoolAdmin })).status).toBe(200);
    } finally {
      await app.shutdown();
    }
  });

  it('DISABLE_BACKGROUND_JOBS=true: inline mode, logged once, nothing throws', async () => {
    const log = logCapture();
    const app = await startApp(
      { REDIS_URL: servers.redis.url, DISABLE_BACKGROUND_JOBS: 'true', LOG_LEVEL: 'info' },
      servers.database,
      { logStream: log.stream },
    );
    try {
      expect(app.platform.jobs.mode).toBe('inline');
      // the email handler runs in this process: the e-mail is in the sink at once
      const result = await app.platform.jobs.add('email', {
        to: 'inline@example.test',
        subject: 'inline',
        text: 'no redis involved',
        template: 'test',
      });
      expect(result.state).toBe('inline');
      await expect
        .poll(
          async () => (await Client.for(app).get('/dev/mail?to=inline@example.test')).body.mails,
        )
        .toHaveLength(1);
      const board = await Client.for(app).get('/admin/queues');
      expect(board.status).toBe(503);
      expect(board.body.error.message).toMatch(/DISABLE_BACKGROUND_JOBS=true/);
      // the package's one mode line; no error
      const modeLines = log.lines.filter((l) => l.component === 'jobs' && l.level === 30);
      // (a warning says cron schedules do not run inline: that is the documented fallback)
      expect(log.lines.filter((l) => (l.level as number) >= 50)).toEqual([]);
      expect(modeLines.length).toBe(1);
    } finally {
      await app.shutdown();
    }
  });
});
