import { randomUUID } from 'node:crypto';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import type { Express } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { Client, dentalClient, type Loose, type Reply, startApp } from './helpers.js';
import { DocChecker, expressRoutes, type OpenApiDoc } from './openapi-check.js';

// Real requests on a running app (real Redis, PGlite) checked against the document it serves.
describe('OpenAPI document vs the running app', () => {
  let redis: RedisServer;
  let app: RunningServer;
  let limited: RunningServer;
  let doc: OpenApiDoc;
  let checker: DocChecker;

  beforeAll(async () => {
    redis = await startRedis();
    app = await startApp({ REDIS_URL: redis.url });
    // Same database, real limiters with tiny budgets: every route's 429.
    limited = await startApp(
      {
        REDIS_URL: redis.url,
        RATE_LIMIT_ENABLED: 'true',
        GLOBAL_RATE_LIMIT: '6',
        GLOBAL_RATE_WINDOW: '1h',
        API_RATE_LIMIT: '3',
        API_RATE_WINDOW: '1h',
        AUTH_RATE_LIMIT: '1',
        AUTH_RATE_WINDOW: '1h',
        // The dev mail sink is per instance: only `app` may deliver the e-mails its test reads.
        WORKERS_ENABLED: 'false',
      },
      app.database,
    );
    await Promise.all([app.redis.waitUntilReady(), limited.redis.waitUntilReady()]);
    const served = await Client.for(app).get('/openapi.json');
    expect(served.status).toBe(200);
    doc = served.body;
    checker = new DocChecker(doc);
  });
  afterAll(async () => {
    await limited?.shutdown();
    await app?.shutdown();
    await redis?.stop();
  });

  /** Sends `method concrete` and checks the reply against operation `method path`. */
  const call = async (
    client: Client,
    method: string,
    path: string,
    concrete: string = path,
    options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<Loose>> => {
    const reply = await client.request(method, concrete, options);
    checker.check(method, path, reply, options);
    return reply;
  };

  it('names the server it was fetched from, honouring trust proxy', async () => {
    expect(doc.servers).toEqual([{ url: `http://127.0.0.1:${app.port}` }]);
    const proxied = await startApp({ REDIS_URL: redis.url, TRUST_PROXY: '1' }, app.database);
    try {
      const reply = await Client.for(proxied).get('/openapi.json', {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.test' },
      });
      expect(reply.body.servers).toEqual([{ url: 'https://api.example.test' }]);
      // Without trust proxy the forwarded headers are ignored.
      const direct = await Client.for(app).get('/openapi.json', {
        headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.test' },
      });
      expect(direct.body.servers).toEqual([{ url: `http://127.0.0.1:${app.port}` }]);
    } finally {
      await proxied.shutdown();
    }
  });

  it('documents exactly the routes the Express app has', () => {
    const express = app.server.listeners('request')[0] as Express;
    const routes = expressRoutes(express).sort();
    expect(routes.length).toBeGreaterThan(30);
    expect(checker.operations().sort()).toEqual(routes);
  });

  it('platform routes', async () => {
    const c = Client.for(app);
    await call(c, 'GET', '/health');
    await call(c, 'GET', '/ready');
    await call(c, 'GET', '/metrics');
    await call(c, 'GET', '/openapi.json');
  });

  it('status page and docs routes', async () => {
    const c = Client.for(app);
    expect((await call(c, 'GET', '/')).body).toContain('status.js');
    expect((await call(c, 'GET', '/status.json')).body.redis.status).toBeDefined();
    const docs = await call(c, 'GET', '/docs/openapi.json');
    expect(docs.body.info.description).toContain('demo-password');
  });

  it('dental routes', async () => {
    const c = await dentalClient(app, 'admin');
    await call(c, 'GET', '/dental/patients', '/dental/patients?page=2&limit=3');
    await call(c, 'GET', '/dental/patients', '/dental/patients?limit=0');
    const input = {
      firstName: 'Oona',
      lastName: 'Api',
      email: `Oona.${randomUUID()}@example.test`,
      phone: '+1-555-0100',
      dateOfBirth: '1988-02-29',
    };
    const created = await call(c, 'POST', '/dental/patients', undefined, { body: input });
    expect(created.status).toBe(201);
    expect((await call(c, 'POST', '/dental/patients', undefined, { body: input })).status).toBe(
      409,
    );
    const bad = { ...input, email: 'nope', dateOfBirth: '1989-02-29' };
    expect((await call(c, 'POST', '/dental/patients', undefined, { body: bad })).status).toBe(400);
    const id = created.body.id as number;

    const one = '/dental/patients/{id}';
    expect((await call(c, 'GET', one, `/dental/patients/${id}`)).headers.get('x-cache')).toBe(
      'MISS',
    );
    expect((await call(c, 'GET', one, `/dental/patients/${id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    expect((await call(c, 'GET', one, '/dental/patients/abc')).status).toBe(400);
    expect((await call(c, 'GET', one, '/dental/patients/999999')).status).toBe(404);
    const patch = { phone: '+1-555-0101' };
    expect((await call(c, 'PATCH', one, `/dental/patients/${id}`, { body: patch })).status).toBe(
      200,
    );
    expect((await call(c, 'PATCH', one, `/dental/patients/${id}`, { body: {} })).status).toBe(400);
    expect((await call(c, 'PATCH', one, '/dental/patients/999999', { body: patch })).status).toBe(
      404,
    );

    const treatments = '/dental/patients/{id}/treatments';
    const treatment = { code: 'D1110', description: 'Cleaning', costCents: 12_000 };
    const made = await call(c, 'POST', treatments, `/dental/patients/${id}/treatments`, {
      body: treatment,
    });
    expect(made.status).toBe(201);
    const withBadRef = { ...treatment, appointmentId: 2_000_000_000 };
    expect(
      (await call(c, 'POST', treatments, `/dental/patients/${id}/treatments`, { body: withBadRef }))
        .status,
    ).toBe(422);
    expect(
      (
        await call(c, 'POST', treatments, `/dental/patients/${id}/treatments`, {
          body: { code: 'X' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(c, 'POST', treatments, '/dental/patients/999999/treatments', { body: treatment }))
        .status,
    ).toBe(404);
    expect(
      (await call(c, 'GET', treatments, `/dental/patients/${id}/treatments`)).body.items,
    ).toHaveLength(1);
    expect((await call(c, 'GET', treatments, '/dental/patients/0/treatments')).status).toBe(400);
    const invoices = '/dental/patients/{id}/invoices';
    expect(
      (await call(c, 'GET', invoices, `/dental/patients/${id}/invoices`)).body.items,
    ).toHaveLength(1);
    expect((await call(c, 'GET', invoices, '/dental/patients/-1/invoices')).status).toBe(400);

    const invoiceId = made.body.invoice.id as number;
    expect(
      (await call(c, 'GET', '/dental/invoices/{id}', `/dental/invoices/${invoiceId}`)).status,
    ).toBe(200);
    expect((await call(c, 'GET', '/dental/invoices/{id}', '/dental/invoices/999999')).status).toBe(
      404,
    );
    const pay = '/dental/invoices/{id}/pay';
    expect((await call(c, 'POST', pay, `/dental/invoices/${invoiceId}/pay`)).status).toBe(200);
    expect((await call(c, 'POST', pay, `/dental/invoices/${invoiceId}/pay`)).status).toBe(409);
    expect((await call(c, 'POST', pay, '/dental/invoices/999999/pay')).status).toBe(404);
    expect(
      (await call(c, 'GET', '/dental/invoices/{id}', `/dental/invoices/${invoiceId}`)).body.paidAt,
    ).not.toBeNull();

    const appointment = {
      patientId: id,
      staffId: 1,
      startsAt: new Date().toISOString(),
      reason: 'Checkup',
    };
    const booked = await call(c, 'POST', '/dental/appointments', undefined, { body: appointment });
    expect(booked.status).toBe(201);
    expect(
      (
        await call(c, 'POST', '/dental/appointments', undefined, {
          body: { ...appointment, reason: '' },
        })
      ).status,
    ).toBe(400);
    expect(
      (
        await call(c, 'POST', '/dental/appointments', undefined, {
          body: { ...appointment, staffId: 99_999 },
        })
      ).status,
    ).toBe(422);
    const day = await call(
      c,
      'GET',
      '/dental/appointments',
      `/dental/appointments?date=${appointment.startsAt.slice(0, 10)}`,
    );
    expect(day.body.items.length).toBeGreaterThan(0);
    expect(
      (await call(c, 'GET', '/dental/appointments', '/dental/appointments?date=2024-02-30')).status,
    ).toBe(400);
    expect((await call(c, 'GET', '/dental/appointments/today')).status).toBe(200);
    const appt = '/dental/appointments/{id}';
    expect((await call(c, 'GET', appt, `/dental/appointments/${booked.body.id}`)).status).toBe(200);
    expect((await call(c, 'GET', appt, '/dental/appointments/999999')).status).toBe(404);
    // background jobs: a booking ahead with a retry key, moved; its reminders; follow-ups
    const ahead = { ...appointment, startsAt: new Date(Date.now() + 72 * 3_600_000).toISOString() };
    const retryKey = { 'idempotency-key': `openapi-${randomUUID()}` };
    const planned = await call(c, 'POST', '/dental/appointments', undefined, {
      body: ahead,
      headers: retryKey,
    });
    expect(planned.body.reminder.state).toBe('scheduled');
    const replayed = await call(c, 'POST', '/dental/appointments', undefined, {
      body: ahead,
      headers: retryKey,
    });
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    const move = { startsAt: new Date(Date.now() + 96 * 3_600_000).toISOString() };
    expect(
      (await call(c, 'PATCH', appt, `/dental/appointments/${planned.body.id}`, { body: move })).body
        .reminder.state,
    ).toBe('scheduled');
    const reminders = '/dental/appointments/{id}/reminders';
    expect(
      (await call(c, 'GET', reminders, `/dental/appointments/${planned.body.id}/reminders`)).body
        .nextReminderAt,
    ).not.toBeNull();
    expect((await call(c, 'GET', reminders, '/dental/appointments/999999/reminders')).status).toBe(
      404,
    );
    const followUps = '/dental/patients/{id}/follow-ups';
    expect(
      (await call(c, 'GET', followUps, `/dental/patients/${id}/follow-ups`)).body.items,
    ).toHaveLength(1);
    expect((await call(c, 'GET', followUps, '/dental/patients/0/follow-ups')).status).toBe(400);

    const status = { status: 'completed' };
    expect(
      (await call(c, 'PATCH', appt, `/dental/appointments/${booked.body.id}`, { body: status }))
        .status,
    ).toBe(200);
    expect(
      (
        await call(c, 'PATCH', appt, `/dental/appointments/${booked.body.id}`, {
          body: { status: 'lost' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(c, 'PATCH', appt, '/dental/appointments/999999', { body: status })).status,
    ).toBe(404);

    const staff = await call(c, 'GET', '/dental/staff');
    expect(staff.headers.get('x-cache')).toBe('MISS');
    const etag = staff.headers.get('etag')!;
    const revalidated = await call(c, 'GET', '/dental/staff', undefined, {
      headers: { 'if-none-match': etag },
    });
    expect(revalidated.status).toBe(304);
    expect((await call(c, 'GET', '/dental/dashboard/stats')).status).toBe(200);

    expect((await call(c, 'DELETE', one, `/dental/patients/${id}`)).status).toBe(204);
    expect((await call(c, 'DELETE', one, `/dental/patients/${id}`)).status).toBe(404);
    expect((await call(c, 'DELETE', one, '/dental/patients/1.5')).status).toBe(400);
  });

  it('dental sign-in, devices, audit, roles and CSRF', async () => {
    const anon = Client.for(app);
    const credentials = { email: 'eva@dental.test', password: 'demo-password' };
    const login = '/dental/auth/login';
    const desk = new Client(`http://127.0.0.1:${app.port}`, { useCookies: true });
    expect((await call(desk, 'POST', login, undefined, { body: credentials })).status).toBe(200);
    const wrong = { body: { ...credentials, password: 'nope-nope' } };
    expect((await call(anon, 'POST', login, undefined, wrong)).status).toBe(401);
    expect((await call(anon, 'POST', login, undefined, { body: {} })).status).toBe(400);
    expect((await call(desk, 'GET', '/csrf-token')).body.token).toBeTruthy();

    expect((await call(desk, 'GET', '/dental/auth/me')).body.staff.role).toBe('receptionist');
    expect((await call(anon, 'GET', '/dental/auth/me')).status).toBe(401);
    // a receptionist never reads clinical records
    const treatments = '/dental/patients/{id}/treatments';
    expect((await call(desk, 'GET', treatments, '/dental/patients/1/treatments')).status).toBe(403);
    // a state-changing request with the session cookie but no CSRF token
    const noToken = await desk.request('POST', '/dental/auth/logout', { csrf: false });
    checker.check('POST', '/dental/auth/logout', noToken);
    expect(noToken.status).toBe(403);
    expect(noToken.body.error.code).toBe('E_API_CSRF_INVALID');

    const device = await dentalClient(app, 'receptionist');
    const sessions = await call(desk, 'GET', '/dental/auth/sessions');
    expect(sessions.body.items.length).toBeGreaterThanOrEqual(2);
    const other = sessions.body.items.find((s: { current: boolean }) => !s.current).id as string;
    const session = '/dental/auth/sessions/{id}';
    expect((await call(desk, 'DELETE', session, `/dental/auth/sessions/${other}`)).status).toBe(
      204,
    );
    expect((await call(desk, 'DELETE', session, `/dental/auth/sessions/${other}`)).status).toBe(
      404,
    );
    expect((await call(desk, 'DELETE', session, '/dental/auth/sessions/short')).status).toBe(400);
    expect((await device.get('/dental/auth/me')).status).toBe(401);

    const admin = await dentalClient(app, 'admin');
    expect((await call(admin, 'GET', '/dental/audit', '/dental/audit?limit=5')).status).toBe(200);
    expect((await call(admin, 'GET', '/dental/audit', '/dental/audit?limit=0')).status).toBe(400);
    expect((await call(desk, 'GET', '/dental/audit')).status).toBe(403);

    expect((await call(desk, 'POST', '/dental/auth/logout')).status).toBe(204);
    expect((await call(desk, 'POST', '/dental/auth/logout')).status).toBe(401);
  });

  it('school routes', async () => {
    const c = Client.for(app);
    const login = (email: string, password = 'demo-password') =>
      call(c, 'POST', '/school/auth/login', undefined, { body: { email, password } });
    const root = await login('root@school.test');
    expect(root.status).toBe(200);
    const teacher = (await login('teacher@school.test')).body;
    const student = (await login('student@school.test')).body;
    const parent = (await login('parent@school.test')).body;
    expect((await login('root@school.test', 'wrong-password')).status).toBe(401);
    expect(
      (await call(c, 'POST', '/school/auth/login', undefined, { body: { email: 'x' } })).status,
    ).toBe(400);

    const refreshed = await call(c, 'POST', '/school/auth/refresh', undefined, {
      body: { refreshToken: teacher.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(
      (
        await call(c, 'POST', '/school/auth/refresh', undefined, {
          body: { refreshToken: 'not-a-jwt-at-all' },
        })
      ).status,
    ).toBe(401);
    expect((await call(c, 'POST', '/school/auth/refresh', undefined, { body: {} })).status).toBe(
      400,
    );
    const teacherToken = refreshed.body.accessToken as string;

    for (const token of [
      root.body.accessToken,
      teacherToken,
      student.accessToken,
      parent.accessToken,
    ]) {
      expect((await call(c, 'GET', '/school/me', undefined, { token })).status).toBe(200);
      expect((await call(c, 'GET', '/school/dashboard', undefined, { token })).status).toBe(200);
    }
    expect((await call(c, 'GET', '/school/me')).status).toBe(401);
    expect(
      (await call(c, 'GET', '/school/dashboard', undefined, { token: 'garbage' })).status,
    ).toBe(401);

    const role = '/school/roles/{name}';
    expect(
      (await call(c, 'GET', role, '/school/roles/teacher', { token: teacherToken })).status,
    ).toBe(200);
    expect(
      (await call(c, 'GET', role, '/school/roles/janitor', { token: teacherToken })).status,
    ).toBe(400);
    expect((await call(c, 'GET', role, '/school/roles/teacher')).status).toBe(401);
    const perms = '/school/roles/{name}/permissions';
    const body = { permissions: ['classes:read', 'grades:write'] };
    expect(
      (
        await call(c, 'PUT', perms, '/school/roles/teacher/permissions', {
          body,
          token: root.body.accessToken,
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call(c, 'PUT', perms, '/school/roles/teacher/permissions', {
          body,
          token: teacherToken,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(c, 'PUT', perms, '/school/roles/teacher/permissions', {
          body: { permissions: [] },
          token: root.body.accessToken,
        })
      ).status,
    ).toBe(400);

    const own = (await c.get('/school/dashboard', { token: student.accessToken })).body.grades[0];
    const grade = { studentId: own.studentId, classId: own.classId, score: 88 };
    expect(
      (await call(c, 'POST', '/school/grades', undefined, { body: grade, token: teacherToken }))
        .status,
    ).toBe(201);
    expect(
      (
        await call(c, 'POST', '/school/grades', undefined, {
          body: grade,
          token: student.accessToken,
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(c, 'POST', '/school/grades', undefined, {
          body: { ...grade, classId: 999_999 },
          token: teacherToken,
        })
      ).status,
    ).toBe(404);
    // Enrollment is (student + class) % 4 = 0, so the next class is never the student's.
    expect(
      (
        await call(c, 'POST', '/school/grades', undefined, {
          body: { ...grade, classId: own.classId + 1 },
          token: teacherToken,
        })
      ).status,
    ).toBe(422);
    expect(
      (
        await call(c, 'POST', '/school/grades', undefined, {
          body: { ...grade, score: 101 },
          token: teacherToken,
        })
      ).status,
    ).toBe(400);

    const office = (await login('office@school.test')).body;
    expect(
      (
        await call(c, 'POST', '/school/auth/logout', undefined, {
          body: { refreshToken: office.refreshToken },
          token: office.accessToken,
        })
      ).status,
    ).toBe(204);
    expect(
      (await call(c, 'POST', '/school/auth/logout', undefined, { token: office.accessToken }))
        .status,
    ).toBe(401);
    const again = (await login('office@school.test')).body;
    expect(
      (await call(c, 'POST', '/school/auth/logout-all', undefined, { token: again.accessToken }))
        .status,
    ).toBe(200);
    expect(
      (await call(c, 'POST', '/school/auth/logout-all', undefined, { token: again.accessToken }))
        .status,
    ).toBe(401);
  });

  it('school account routes (one-time tokens, e-mail jobs) and the dev mail sink', async () => {
    const c = Client.for(app);
    const post = (path: string, body: unknown, token?: string) =>
      call(c, 'POST', path, undefined, { body, ...(token ? { token } : {}) });
    const mailTo = async (to: string, template: string): Promise<string> => {
      let token = '';
      await expect
        .poll(async () => {
          const mails = (await call(c, 'GET', '/dev/mail', `/dev/mail?to=${to}`)).body.mails;
          const mail = mails.find((m: Loose) => m.template === template);
          token = mail ? (/token: (\S+)/.exec(mail.text)?.[1] ?? '') : '';
          return token !== '';
        })
        .toBe(true);
      return token;
    };
    expect((await call(c, 'GET', '/dev/mail', '/dev/mail?limit=0')).status).toBe(400);
    const email = `openapi-${randomUUID()}@example.test`;
    const password = 'openapi-password-1';
    expect((await post('/school/auth/signup', { email, name: 'Open Api', password })).status).toBe(
      202,
    );
    expect(
      (await post('/school/auth/signup', { email, name: 'x', password: 'short' })).status,
    ).toBe(400);
    const verify = await mailTo(email, 'email-verify');
    expect((await post('/school/auth/verify-email', { token: verify })).status).toBe(201);
    expect((await post('/school/auth/verify-email', { token: verify })).status).toBe(400);

    expect((await post('/school/auth/password-reset', { email })).status).toBe(202);
    expect((await post('/school/auth/password-reset', { email: 'not-an-email' })).status).toBe(400);
    const reset = await mailTo(email, 'password-reset');
    const confirm = { token: reset, password: 'openapi-password-2' };
    expect((await post('/school/auth/password-reset/confirm', confirm)).status).toBe(204);
    expect((await post('/school/auth/password-reset/confirm', confirm)).status).toBe(400);

    const admin = (
      await post('/school/auth/login', { email: 'admin@school.test', password: 'demo-password' })
    ).body.accessToken as string;
    const invitee = `invitee-${randomUUID()}@example.test`;
    expect((await post('/school/invites', { email: invitee, role: 'staff' })).status).toBe(401);
    expect(
      (await post('/school/invites', { email: invitee, role: 'school_admin' }, admin)).status,
    ).toBe(403);
    expect((await post('/school/invites', { email, role: 'staff' }, admin)).status).toBe(409);
    expect((await post('/school/invites', { email: invitee, role: 'janitor' }, admin)).status).toBe(
      400,
    );
    expect((await post('/school/invites', { email: invitee, role: 'staff' }, admin)).status).toBe(
      202,
    );
    const invite = await mailTo(invitee, 'invite');
    const accept = { token: invite, name: 'New Staff', password };
    expect((await post('/school/auth/accept-invite', accept)).status).toBe(201);
    expect((await post('/school/auth/accept-invite', accept)).status).toBe(400);
  });

  it('care routes', async () => {
    const c = new Client(`http://127.0.0.1:${app.port}`, { useCookies: true });
    const anon = Client.for(app);
    const credentials = { email: 'carer@care.test', password: 'demo-password' };
    expect(
      (await call(c, 'POST', '/care/auth/login', undefined, { body: credentials })).status,
    ).toBe(200);
    expect(
      (
        await call(anon, 'POST', '/care/auth/login', undefined, {
          body: { ...credentials, password: 'nope' },
        })
      ).status,
    ).toBe(401);
    expect((await call(anon, 'POST', '/care/auth/login', undefined, { body: {} })).status).toBe(
      400,
    );

    expect((await call(c, 'GET', '/care/me')).status).toBe(200);
    expect((await call(anon, 'GET', '/care/me')).status).toBe(401);
    const device = new Client(`http://127.0.0.1:${app.port}`, { useCookies: true });
    await device.post('/care/auth/login', credentials);
    const sessions = await call(c, 'GET', '/care/sessions');
    expect(sessions.body.items.length).toBeGreaterThanOrEqual(2);
    expect((await call(anon, 'GET', '/care/sessions')).status).toBe(401);
    const other = sessions.body.items.find((s: { current: boolean }) => !s.current).id as string;
    const session = '/care/sessions/{id}';
    expect((await call(c, 'DELETE', session, `/care/sessions/${other}`)).status).toBe(204);
    expect((await call(c, 'DELETE', session, `/care/sessions/${other}`)).status).toBe(404);
    expect((await call(c, 'DELETE', session, '/care/sessions/short')).status).toBe(400);

    const clients = await call(c, 'GET', '/care/clients');
    expect(clients.body.items.length).toBeGreaterThan(0);
    expect((await call(anon, 'GET', '/care/clients')).status).toBe(401);
    const clientId = clients.body.items[0].id as number;
    const client = '/care/clients/{id}';
    expect(
      (await call(c, 'PATCH', client, `/care/clients/${clientId}`, { body: { careLevel: 'high' } }))
        .status,
    ).toBe(200);
    expect(
      (await call(c, 'PATCH', client, `/care/clients/${clientId}`, { body: { careLevel: 'max' } }))
        .status,
    ).toBe(400);
    expect(
      (await call(c, 'PATCH', client, '/care/clients/999999', { body: { careLevel: 'low' } }))
        .status,
    ).toBe(404);

    const forged = await c.request('POST', '/care/presence/heartbeat', { csrf: false });
    checker.check('POST', '/care/presence/heartbeat', forged);
    expect(forged.status).toBe(403);
    expect((await call(c, 'POST', '/care/presence/heartbeat')).status).toBe(200);
    expect((await call(anon, 'POST', '/care/presence/heartbeat')).status).toBe(401);
    expect((await call(c, 'GET', '/care/presence/online')).body.online.length).toBeGreaterThan(0);
    expect((await call(anon, 'GET', '/care/presence/online')).status).toBe(401);

    const alert = { clientId, severity: 'warning', message: 'Missed a meal' };
    expect((await call(c, 'POST', '/care/alerts', undefined, { body: alert })).status).toBe(201);
    expect(
      (await call(c, 'POST', '/care/alerts', undefined, { body: { ...alert, clientId: 999_999 } }))
        .status,
    ).toBe(404);
    expect(
      (await call(c, 'POST', '/care/alerts', undefined, { body: { ...alert, severity: 'meh' } }))
        .status,
    ).toBe(400);

    // The stream never ends by itself: read the status and type, then hang up.
    const controller = new AbortController();
    const stream = await fetch(`${c.base}/care/alerts/stream`, {
      headers: { cookie: c.cookieHeader() },
      signal: controller.signal,
    });
    checker.check('GET', '/care/alerts/stream', {
      status: stream.status,
      headers: stream.headers,
      body: 'stream',
    });
    controller.abort();
    expect((await call(anon, 'GET', '/care/alerts/stream')).status).toBe(401);

    // medication, adherence and appointments (background jobs)
    const meds = '/care/clients/{id}/medications';
    const medication = await call(c, 'POST', meds, `/care/clients/${clientId}/medications`, {
      body: { name: 'Metformin', dose: '500 mg', times: ['00:00', '12:00'] },
    });
    expect(medication.status).toBe(201);
    expect(
      (
        await call(c, 'POST', meds, `/care/clients/${clientId}/medications`, {
          body: { name: 'X', dose: '1', times: ['25:00'] },
        })
      ).status,
    ).toBe(400);
    expect((await call(c, 'GET', meds, `/care/clients/${clientId}/medications`)).status).toBe(200);
    expect((await call(c, 'GET', meds, '/care/clients/999999/medications')).status).toBe(404);
    const taken = '/care/clients/{id}/medications/{medicationId}/taken';
    const today = `${new Date().toISOString().slice(0, 10)}T00:00:00.000Z`;
    const takenAt = `/care/clients/${clientId}/medications/${medication.body.id}/taken`;
    expect((await call(c, 'POST', taken, takenAt, { body: { doseAt: today } })).status).toBe(200);
    expect(
      (await call(c, 'POST', taken, takenAt, { body: { doseAt: new Date(0).toISOString() } }))
        .status,
    ).toBe(422);
    const adherence = '/care/clients/{id}/adherence';
    expect((await call(c, 'GET', adherence, `/care/clients/${clientId}/adherence`)).status).toBe(
      200,
    );
    expect((await call(c, 'GET', adherence, '/care/clients/999999/adherence')).status).toBe(404);
    const check = '/care/clients/{id}/adherence/check';
    expect(
      (await call(c, 'POST', check, `/care/clients/${clientId}/adherence/check`, { body: {} }))
        .status,
    ).toBe(202);
    expect(
      (
        await call(c, 'POST', check, `/care/clients/${clientId}/adherence/check`, {
          body: { day: '2026-02-30' },
        })
      ).status,
    ).toBe(400);
    const visits = '/care/clients/{id}/appointments';
    const visit = await call(c, 'POST', visits, `/care/clients/${clientId}/appointments`, {
      body: { title: 'GP review', startsAt: new Date(Date.now() + 3_600_000).toISOString() },
    });
    expect(visit.status).toBe(201);
    expect(
      (
        await call(c, 'POST', visits, `/care/clients/${clientId}/appointments`, {
          body: { title: '' },
        })
      ).status,
    ).toBe(400);
    expect((await call(c, 'GET', visits, `/care/clients/${clientId}/appointments`)).status).toBe(
      200,
    );
    expect((await call(c, 'GET', visits, '/care/clients/999999/appointments')).status).toBe(404);
    const visitPath = '/care/clients/{id}/appointments/{appointmentId}';
    expect(
      (
        await call(
          c,
          'PATCH',
          visitPath,
          `/care/clients/${clientId}/appointments/${visit.body.id}`,
          {
            body: { status: 'completed' },
          },
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await call(c, 'PATCH', visitPath, `/care/clients/${clientId}/appointments/999999`, {
          body: { status: 'completed' },
        })
      ).status,
    ).toBe(404);

    expect((await call(c, 'POST', '/care/auth/logout')).status).toBe(204);
    expect((await call(c, 'POST', '/care/auth/logout')).status).toBe(401);
  });

  it('every rate-limited route answers a documented 429 once its budget is spent', async () => {
    const c = Client.for(limited);
    let limitedReplies = 0;
    for (const operation of checker.operations()) {
      const [method, template] = operation.split(' ') as [string, string];
      const documents429 = Boolean(doc.paths[template]?.[method.toLowerCase()]?.responses['429']);
      const concrete = template
        .replace('{id}', template.startsWith('/care/sessions') ? 'A'.repeat(22) : '1')
        .replace('{name}', 'teacher');
      // Spend the budgets first (the global one runs before the per-area ones).
      for (let i = 0; i < 8 && documents429; i++) await c.request(method, concrete);
      const reply = await call(c, method, template, concrete);
      if (documents429) {
        expect(reply.status, operation).toBe(429);
        expect(reply.body.error.code).toBe('E_RATELIMIT_LIMITED');
        limitedReplies++;
      } else expect(reply.status, operation).toBeLessThan(300);
    }
    expect(limitedReplies).toBeGreaterThan(30);
  });

  it('exercised every operation: a success and, where one is documented, a 4xx', () => {
    const missing: string[] = [];
    for (const operation of checker.operations()) {
      const [method, path] = operation.split(' ') as [string, string];
      const documented = Object.keys(doc.paths[path]![method.toLowerCase()]!.responses).map(Number);
      const seen = [...(checker.seen.get(operation) ?? [])];
      if (!seen.some((s) => s < 400)) missing.push(`${operation}: no success`);
      if (documented.some((s) => s >= 400 && s < 500) && !seen.some((s) => s >= 400 && s < 500))
        missing.push(`${operation}: no 4xx`);
    }
    expect(missing).toEqual([]);
  });
});
