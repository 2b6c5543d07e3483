import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DENTAL_PERMISSIONS,
  DENTAL_PUBLIC_ROUTES,
  DENTAL_ROLES,
  type DentalRole,
  type DentalRoute,
} from '../src/dental/permissions.js';
import { dentalRoutes } from '../src/dental/routes.js';
import type { RunningServer } from '../src/index.js';
import { appOnOwnRedis, Client, dentalClient, startApp } from './helpers.js';

/** One valid request per route (ids of seeded rows), so an allowed role gets past validation. */
function sample(route: DentalRoute, n: number): { path: string; body?: unknown } {
  const [, path] = route.split(' ') as [string, string];
  const withId = (id: number) => path.replace(':id', String(id));
  switch (route) {
    case 'POST /patients':
      return {
        path,
        body: {
          firstName: 'Matrix',
          lastName: `Row${n}`,
          email: `matrix${n}@example.test`,
          phone: '+1-555-0100',
          dateOfBirth: '1980-01-01',
        },
      };
    case 'PATCH /patients/:id':
      return { path: withId(3), body: { phone: `+1-555-01${n % 10}${n % 7}` } };
    case 'POST /patients/:id/treatments':
      return {
        path: withId(3),
        body: { code: 'D1110', description: 'Cleaning', costCents: 9000 },
      };
    case 'POST /appointments':
      return {
        path,
        body: {
          patientId: 3,
          staffId: 1,
          startsAt: '2026-12-01T10:00:00Z',
          durationMin: 30,
          reason: 'check-up',
        },
      };
    case 'PATCH /appointments/:id':
      return { path: withId(5), body: { status: 'completed' } };
    case 'GET /appointments/:id/reminders':
      return { path: withId(5) };
    case 'GET /appointments':
      return { path: `${path}?date=2026-01-05` };
    case 'DELETE /auth/sessions/:id':
      // a well-formed handle of no session: 404 when allowed
      return { path: withId(0).replace('0', 'A'.repeat(22)) };
    default:
      return { path: withId(route.startsWith('DELETE /patients') ? 400 + n : 2) };
  }
}

describe('dental authorization matrix (every route × every role × anonymous)', () => {
  let redis: RedisServer;
  let app: RunningServer;
  const clients = {} as Record<DentalRole, Client>;

  beforeAll(async () => {
    redis = await startRedis();
    app = await startApp({ REDIS_URL: redis.url });
    for (const role of DENTAL_ROLES) clients[role] = await dentalClient(app, role);
  });
  afterAll(async () => {
    await app?.shutdown();
    await redis?.stop();
  });

  it('the permission table covers exactly the routes the dental router registers', () => {
    const router = dentalRoutes({
      repo: {} as never,
      audit: {} as never,
      reminders: {} as never,
      followUps: {} as never,
      idempotency: {} as never,
      sessions: app.platform.dentalSessions,
      authLimiter: (_req, _res, next) => next(),
    });
    const registered: string[] = [];
    const walk = (
      stack: {
        route?: { path: string; methods: Record<string, boolean> };
        handle: { stack?: unknown[] };
      }[],
    ) => {
      for (const layer of stack) {
        if (layer.route) {
          for (const [method, on] of Object.entries(layer.route.methods))
            if (on && method !== '_all')
              registered.push(`${method.toUpperCase()} ${layer.route.path}`);
        } else if (layer.handle.stack) walk(layer.handle.stack as never);
      }
    };
    walk((router as unknown as { stack: never[] }).stack);
    expect(registered.sort()).toEqual(
      [...Object.keys(DENTAL_PERMISSIONS), ...DENTAL_PUBLIC_ROUTES].sort(),
    );
  });

  const cases = Object.entries(DENTAL_PERMISSIONS).filter(
    ([route]) => route !== 'POST /auth/logout',
  ) as [DentalRoute, readonly DentalRole[]][];

  it.each(cases)(
    '%s: anonymous 401, roles outside the table 403, roles in it pass',
    async (route, roles) => {
      const method = route.split(' ')[0] as string;
      const anon = await Client.for(app).request(method, `/dental${sample(route, 0).path}`, {
        ...(sample(route, 0).body !== undefined ? { body: sample(route, 0).body } : {}),
      });
      expect(anon.status, `anonymous ${route}`).toBe(401);
      expect(anon.body.error.code).toBe('E_API_UNAUTHENTICATED');
      let n = 1;
      for (const role of DENTAL_ROLES) {
        const { path, body } = sample(route, n++);
        const res = await clients[role].request(method, `/dental${path}`, {
          ...(body !== undefined ? { body } : {}),
        });
        const label = `${role} ${route} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`;
        if (roles.includes(role)) {
          expect([401, 403], label).not.toContain(res.status);
          expect(res.status, label).toBeLessThan(500);
        } else {
          expect(res.status, label).toBe(403);
          expect(res.body.error.code, label).toBe('E_API_FORBIDDEN');
        }
      }
    },
  );

  // Left out of the table walk above: it would end the shared clients' sessions.
  it('POST /auth/logout: anonymous 401, every role 204 on its own fresh session', async () => {
    const anon = await Client.for(app).post('/dental/auth/logout');
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('E_API_UNAUTHENTICATED');
    for (const role of DENTAL_ROLES) {
      expect(DENTAL_PERMISSIONS['POST /auth/logout']).toContain(role);
      const fresh = await dentalClient(app, role);
      expect((await fresh.post('/dental/auth/logout')).status, role).toBe(204);
    }
  });

  it('an unknown /dental path is 401 without a session, 404 with one', async () => {
    expect((await Client.for(app).get('/dental/nope')).status).toBe(401);
    expect((await clients.receptionist.get('/dental/nope')).status).toBe(404);
  });

  it('login: wrong password 401, the same for an unknown e-mail', async () => {
    const c = Client.for(app, { useCookies: true });
    const wrong = await c.post('/dental/auth/login', {
      email: 'eva@dental.test',
      password: 'nope-nope',
    });
    const unknown = await c.post('/dental/auth/login', {
      email: 'nobody@dental.test',
      password: 'nope-nope',
    });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.body).toEqual(unknown.body);
  });

  it('device list, revoke one device, logout sticks (the cookie replayed is refused)', async () => {
    const laptop = await dentalClient(app, 'hygienist');
    const phone = await dentalClient(app, 'hygienist');
    const listed = await laptop.get('/dental/auth/sessions');
    expect(listed.status).toBe(200);
    const mine = listed.body.items.filter((s: { current: boolean }) => s.current);
    expect(mine).toHaveLength(1);
    const other = listed.body.items.find((s: { current: boolean }) => !s.current);
    const phoneCookie = phone.cookieHeader();
    expect((await laptop.delete(`/dental/auth/sessions/${other.id}`)).status).toBe(204);
    expect((await phone.get('/dental/auth/me')).status).toBe(401);

    const me = await laptop.get('/dental/auth/me');
    expect(me.body.staff).toMatchObject({ role: 'hygienist', name: 'Carla Jones' });
    const replay = laptop.cookieHeader();
    expect((await laptop.post('/dental/auth/logout')).status).toBe(204);
    for (const cookie of [replay, phoneCookie]) {
      const res = await Client.for(app).get('/dental/patients', { headers: { cookie } });
      expect(res.status).toBe(401);
    }
  });

  it('audit: every patient read is recorded, cache hit or miss; only admins read the trail', async () => {
    const dentist = clients.dentist;
    const first = await dentist.get('/dental/patients/11');
    const second = await dentist.get('/dental/patients/11');
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(second.headers.get('x-cache')).toBe('HIT');
    await dentist.get('/dental/patients/11/treatments');
    await dentist.get('/dental/patients?page=2&limit=5');

    const me = await dentist.get('/dental/auth/me');
    const trail = await clients.admin.get(`/dental/audit?patientId=11&staffId=${me.body.staff.id}`);
    expect(trail.status).toBe(200);
    expect(trail.body.items.map((r: { action: string }) => r.action)).toEqual([
      'treatments',
      'patient',
      'patient',
    ]);
    expect(trail.body.items[0]).toMatchObject({
      staffRole: 'dentist',
      staffName: 'Dr. Alice Moreno',
      patientId: 11,
    });
    const listed = await sql<{ n: string }>`select count(*) as n from dental_audit
      where action = 'patient-list' and patient_id between 6 and 10`.execute(app.database.db);
    expect(Number(listed.rows[0]?.n)).toBeGreaterThanOrEqual(5);
    expect((await dentist.get('/dental/audit')).status).toBe(403);
  });
});

describe('dental sessions while Redis is down (SESSION_ON_REDIS_ERROR=deny)', () => {
  it('a signed-in call is 503 E_SESSION_UNAVAILABLE with Retry-After, never served unverified', async () => {
    const { redis, app } = await appOnOwnRedis({ SESSION_ON_REDIS_ERROR: 'deny' });
    const staff = await dentalClient(app, 'dentist');
    expect((await staff.get('/dental/patients/1')).status).toBe(200);
    await redis.kill();
    const res = await staff.get('/dental/patients/1');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('E_SESSION_UNAVAILABLE');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});

describe('dental login is limited by the auth preset (AUTH_RATE_LIMIT failures per IP + e-mail)', () => {
  it('5 wrong passwords, then the right one from another instance is 429; another e-mail signs in', async () => {
    const redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      RATE_LIMIT_ENABLED: 'true',
      GLOBAL_RATE_LIMIT: '100000',
      API_RATE_LIMIT: '100000',
    };
    const a = await startApp(env);
    const b = await startApp(env, a.database);
    try {
      const c = Client.for(a, { useCookies: true });
      for (let i = 0; i < 5; i++) {
        const res = await c.post('/dental/auth/login', {
          email: 'eva@dental.test',
          password: `guess-${i}`,
        });
        expect(res.status, `attempt ${i + 1}`).toBe(401);
      }
      // the count lives in Redis: the other instance refuses the sixth attempt, right password too
      const sixth = await Client.for(b, { useCookies: true }).post('/dental/auth/login', {
        email: 'eva@dental.test',
        password: 'demo-password',
      });
      expect(sixth.status).toBe(429);
      expect(sixth.body.error.code).toBe('E_RATELIMIT_LIMITED');
      expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
      // keyed on IP + e-mail: a colleague at the same desk still signs in
      const other = await c.post('/dental/auth/login', {
        email: 'alice@dental.test',
        password: 'demo-password',
      });
      expect(other.status).toBe(200);
    } finally {
      await b.shutdown();
      await a.shutdown();
      await redis.stop();
    }
  });
});
