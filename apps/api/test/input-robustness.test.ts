import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import express from 'express';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/errors.js';
import type { RunningServer } from '../src/index.js';
import { email, secretText, text } from '../src/schemas/text.js';
import { Client, dentalClient, startApp } from './helpers.js';
import { hostileRun } from './hostile-inputs.js';

const NUL = 'a\u0000b';
const LONE = '\ud800';

/** The app's error body: `{ error: { code, message } }` (never Express's HTML page). */
function expectJsonError(res: { status: number; body: unknown }, status: number) {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({
    error: { code: expect.any(String), message: expect.any(String) },
  });
}

const BODY_STALL =
  'POST /dental/patients HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"firstNam';
const HEADER_STALL = 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ';

/** Sends a request that never completes and reports what comes back and when the socket closed. */
function stalled(port: number, partial: string): Promise<{ ms: number; reply: string }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      reply += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ ms: Date.now() - started, reply }));
    socket.write(partial);
    // A client that never finishes must not keep the test alive either.
    setTimeout(() => socket.destroy(), 15_000).unref();
  });
}

const patient = {
  firstName: 'Nul',
  lastName: 'Test',
  email: 'nul.test@example.test',
  phone: '+1-555-0100',
  dateOfBirth: '1980-01-01',
};

/** The error handler's safety net, fed the database's own error for NUL in text (22021). */
async function databaseNulReply(app: RunningServer) {
  const probe = express();
  probe.get('/', async () => {
    await sql`select ${'a\u0000b'}::text as t`.execute(app.database.db);
  });
  probe.use(errorHandler);
  const server = probe.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as { port: number };
    return await new Client(`http://127.0.0.1:${port}`).get('/');
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

function storedTextCases(app: () => RunningServer) {
  it('a NUL the schemas let through still maps to 400, not 500 (database error 22021)', async () => {
    const res = await databaseNulReply(app());
    expectJsonError(res, 400);
    expect(res.body.error.code).toBe('E_API_INVALID_VALUE');
  });

  it('NUL in a stored string is a 400 with the JSON error body (create and update)', async () => {
    const c = await dentalClient(app(), 'admin');
    expectJsonError(await c.post('/dental/patients', { ...patient, firstName: NUL }), 400);
    expectJsonError(await c.patch('/dental/patients/1', { lastName: NUL }), 400);
    expectJsonError(
      await c.post('/dental/appointments', {
        patientId: 1,
        staffId: 1,
        startsAt: '2026-12-01T10:00:00Z',
        reason: NUL,
      }),
      400,
    );
    expectJsonError(
      await c.post('/dental/patients/1/treatments', {
        code: 'D1110',
        description: NUL,
        costCents: 100,
      }),
      400,
    );
    // Other C0 controls in a one-line field, and a lone surrogate, are refused the same way.
    expectJsonError(await c.patch('/dental/patients/1', { phone: '555\u001b[2J' }), 400);
    expectJsonError(await c.patch('/dental/patients/1', { firstName: `x${LONE}` }), 400);
    // Nothing was written.
    expect((await c.get('/dental/patients/1')).body.lastName).not.toContain('\u0000');
  });
}

describe('text(), email(), secretText(): the shared string schemas', () => {
  const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) =>
    schema.safeParse(v).success;

  it('one-line text refuses NUL, every C0 control, DEL and lone surrogates; trims; bounds length', () => {
    const name = text({ max: 5 });
    expect(name.parse('  Ada ')).toBe('Ada');
    expect(ok(name, 'Zoë ✓')).toBe(true);
    expect(ok(name, '😀')).toBe(true); // a surrogate pair is well-formed
    for (const bad of [
      'a\u0000',
      'a\nb',
      'a\tb',
      'a\u001b',
      'a\u007f',
      '\ud800',
      'x\udc00',
      '',
      '   ',
      'toolong',
    ])
      expect(ok(name, bad), JSON.stringify(bad)).toBe(false);
  });

  it('multiline text keeps tab and line breaks but still refuses NUL and other controls', () => {
    const message = text({ max: 50, multiline: true });
    expect(ok(message, 'line 1\n\tline 2\r\n')).toBe(true);
    for (const bad of ['a\u0000b', 'a\u0007', 'a\u000bb', '\ud800'])
      expect(ok(message, bad), JSON.stringify(bad)).toBe(false);
  });

  it('email and secretText refuse lone surrogates (and NUL) before anything else sees them', () => {
    expect(ok(email(), 'a@b.test')).toBe(true);
    for (const bad of ['a\ud800@b.test', '\ud800', 'a\u0000@b.test'])
      expect(ok(email(), bad)).toBe(false);
    const password = secretText({ max: 20 });
    expect(password.parse(' spaced pass ')).toBe(' spaced pass ');
    for (const bad of ['p\ud800', 'p\u0000', '']) expect(ok(password, bad)).toBe(false);
  });
});

describe('input robustness (PGlite, rate limits on)', () => {
  let redis: RedisServer;
  let app: RunningServer;

  beforeAll(async () => {
    redis = await startRedis();
    app = await startApp({
      REDIS_URL: redis.url,
      RATE_LIMIT_ENABLED: 'true',
      GLOBAL_RATE_LIMIT: '1000000',
      API_RATE_LIMIT: '1000000',
      AUTH_RATE_LIMIT: '1000000',
      REQUEST_TIMEOUT: '1s',
    });
    await app.redis.waitUntilReady();
  });
  afterAll(async () => {
    await app?.shutdown();
    await redis?.stop();
  });

  storedTextCases(() => app);

  it('a lone surrogate in the login e-mail is a 400 (school and care), even before the limiter', async () => {
    const c = Client.for(app);
    for (const path of ['/school/auth/login', '/care/auth/login']) {
      expectJsonError(await c.post(path, { email: `a${LONE}@x.test`, password: 'x' }), 400);
      expectJsonError(await c.post(path, { email: LONE, password: 'x' }), 400);
      expectJsonError(
        await c.post(path, { email: 'teacher@school.test', password: `p${LONE}` }),
        400,
      );
    }
  });

  it('every free-text field has a length limit: oversized input is a 400 naming the field', async () => {
    const dental = await dentalClient(app, 'admin');
    const long = 'x'.repeat(10_000);
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['POST', '/dental/patients', { ...patient, firstName: long }, 'firstName'],
      ['PATCH', '/dental/patients/1', { lastName: long }, 'lastName'],
      ['PATCH', '/dental/patients/1', { phone: long }, 'phone'],
      ['PATCH', '/dental/patients/1', { email: `${long}@x.test` }, 'email'],
      [
        'POST',
        '/dental/appointments',
        { patientId: 1, staffId: 1, startsAt: '2026-12-01T10:00:00Z', reason: long },
        'reason',
      ],
      [
        'POST',
        '/dental/patients/1/treatments',
        { code: 'D1110', description: long, costCents: 100 },
        'description',
      ],
      ['POST', '/dental/auth/login', { email: 'eva@dental.test', password: long }, 'password'],
    ];
    for (const [method, path, body, field] of cases) {
      const res = await dental.request(method, path, { body });
      expectJsonError(res, 400);
      expect(res.body.error.message, `${method} ${path}`).toContain(field);
    }
    const school = Client.for(app);
    const login = await school.post('/school/auth/login', {
      email: 'root@school.test',
      password: 'demo-password',
    });
    const token = login.body.accessToken as string;
    // one 10,000-character permission string is refused, not stored
    const huge = await school.put(
      '/school/roles/teacher/permissions',
      { permissions: ['a'.repeat(10_000)] },
      { token },
    );
    expectJsonError(huge, 400);
    const role = await school.get('/school/roles/teacher', { token });
    expect(JSON.stringify(role.body)).not.toContain('a'.repeat(200));
    const care = Client.for(app, { useCookies: true });
    await care.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' });
    expectJsonError(
      await care.post('/care/alerts', { clientId: 2, severity: 'info', message: long }),
      400,
    );
    // the other free-text fields of the zod request schemas, each alone over its limit
    const at = '2026-12-01T10:00:00Z';
    const oneTime = `${'A'.repeat(22)}.${'B'.repeat(43)}`;
    const more: [Client, string, Record<string, unknown>, string, string?][] = [
      [care, '/care/clients/2/medications', { name: long, dose: '5 mg', times: ['08:00'] }, 'name'],
      [
        care,
        '/care/clients/2/medications',
        { name: 'Aspirin', dose: long, times: ['08:00'] },
        'dose',
      ],
      [care, '/care/clients/2/appointments', { title: long, startsAt: at }, 'title'],
      [Client.for(app), '/care/auth/login', { email: `${long}@x.test`, password: 'x' }, 'email'],
      [
        Client.for(app),
        '/care/auth/login',
        { email: 'carer@care.test', password: long },
        'password',
      ],
      [school, '/school/auth/login', { email: 'root@school.test', password: long }, 'password'],
      [
        school,
        '/school/auth/signup',
        { email: 'long.name@example.test', name: long, password: 'long-enough-pw' },
        'name',
      ],
      [
        school,
        '/school/auth/signup',
        { email: `${long}@example.test`, name: 'Ann', password: 'long-enough-pw' },
        'email',
      ],
      [
        school,
        '/school/auth/signup',
        { email: 'long.pw@example.test', name: 'Ann', password: long },
        'password',
      ],
      [school, '/school/auth/password-reset', { email: `${long}@example.test` }, 'email'],
      [
        school,
        '/school/auth/password-reset/confirm',
        { token: oneTime, password: long },
        'password',
      ],
      [
        school,
        '/school/auth/accept-invite',
        { token: oneTime, name: long, password: 'long-enough-pw' },
        'name',
      ],
      [
        school,
        '/school/invites',
        { email: `${long}@example.test`, role: 'teacher' },
        'email',
        token,
      ],
    ];
    for (const [client, path, body, field, bearer] of more) {
      const res = await client.post(path, body, bearer ? { token: bearer } : {});
      expectJsonError(res, 400);
      expect(res.body.error.message, `${path} ${field}`).toContain(field);
    }
  });

  it('a body that never arrives is answered 408 (JSON) within REQUEST_TIMEOUT', async () => {
    const { ms, reply } = await stalled(app.port, BODY_STALL);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(reply).toMatch(/"code":"E_API_REQUEST_TIMEOUT"/);
    expect(ms).toBeLessThan(3_000); // 1 s timeout, with room for a loaded machine
  });

  it('a stalled body is 408 on the login and on a signed-in, CSRF-carrying write too', async () => {
    const login =
      'POST /dental/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 80\r\n\r\n{"email":"eva@';
    const slowLogin = await stalled(app.port, login);
    expect(slowLogin.reply).toMatch(/^HTTP\/1\.1 408/);
    expect(slowLogin.ms).toBeLessThan(3_000);
    const staff = await dentalClient(app, 'receptionist');
    const token = await staff.csrfToken();
    const write = `PATCH /dental/appointments/3 HTTP/1.1\r\nHost: x\r\nCookie: ${staff.cookieHeader()}\r\nX-CSRF-Token: ${token}\r\nContent-Type: application/json\r\nContent-Length: 60\r\n\r\n{"stat`;
    const slowWrite = await stalled(app.port, write);
    expect(slowWrite.reply).toMatch(/^HTTP\/1\.1 408/);
    expect(slowWrite.reply).toMatch(/"code":"E_API_REQUEST_TIMEOUT"/);
    expect(slowWrite.ms).toBeLessThan(3_000);
  });

  it("headers that never finish get Node's 408 and a closed socket (the backstop)", async () => {
    const { ms, reply } = await stalled(app.port, HEADER_STALL);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(5_000);
  });

  it('hostile inputs on every route: no 5xx', async () => {
    const failures = await hostileRun(app);
    expect(failures).toEqual([]);
    // The server runs in this process: a `__proto__` body that reached a merge would show here.
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  }, 180_000);
});

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}
const postgres = await postgresReachable();
if (!postgres)
  console.warn(`input robustness on PostgreSQL skipped: nothing answers at ${DATABASE_URL}`);

// Skipped (with the warning above) when no PostgreSQL answers: the same cases then run on PGlite only.
describe.skipIf(!postgres)('input robustness (real PostgreSQL, own schema)', () => {
  const schema = `api_robust_${randomBytes(4).toString('hex')}`;
  let redis: RedisServer;
  let app: RunningServer;

  beforeAll(async () => {
    redis = await startRedis();
    app = await startApp({ REDIS_URL: redis.url, DATABASE_URL, DATABASE_SCHEMA: schema });
    await app.redis.waitUntilReady();
  });
  afterAll(async () => {
    await app?.shutdown();
    await redis?.stop();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`drop schema if exists ${schema} cascade`); // only the schema this suite created
    } finally {
      await admin.end();
    }
  });

  storedTextCases(() => app);

  it('hostile inputs on every route: no 5xx', async () => {
    expect(await hostileRun(app)).toEqual([]);
  }, 180_000);
});
