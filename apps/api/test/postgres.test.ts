import { randomBytes } from 'node:crypto';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { Client, dentalClient, startApp } from './helpers.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(): Promise<boolean> {
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

const available = await reachable();

// Skipped (with this reason) when no PostgreSQL answers at TEST_DATABASE_URL
// (default postgres://postgres@127.0.0.1:5432/test): the same suite then runs on PGlite only.
describe.skipIf(!available)('on a real PostgreSQL (own schema, dropped afterwards)', () => {
  const schema = `api_test_${randomBytes(4).toString('hex')}`;
  let redis: RedisServer;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, DATABASE_URL, DATABASE_SCHEMA: schema };
    a = await startApp(env);
    b = await startApp(env); // its own pg pool on the same schema: a real second instance
    await Promise.all([a.redis.waitUntilReady(), b.redis.waitUntilReady()]);
  });
  afterAll(async () => {
    await b?.shutdown();
    await a?.shutdown();
    await redis?.stop();
    const admin = new pg.Client({ connectionString: DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`drop schema if exists ${schema} cascade`); // only the schema this suite created
    } finally {
      await admin.end();
    }
  });

  it('runs migrations and the seed once, in its own schema', async () => {
    expect(a.database.kind).toBe('postgres');
    const res = await (await dentalClient(a, 'receptionist')).get('/dental/patients?limit=1');
    expect(res.body.total).toBe(500);
    const ready = await Client.for(b).get('/ready');
    expect(ready.body).toMatchObject({
      status: 'ok',
      checks: { database: { kind: 'postgres', healthy: true } },
    });
  });

  it('read-after-write across two instances with separate connection pools', async () => {
    const A = await dentalClient(a, 'admin');
    const B = A.on(b);
    const before = await B.get('/dental/dashboard/stats');
    await B.get('/dental/patients/3');
    expect((await A.patch('/dental/patients/3', { lastName: 'Postgres' })).status).toBe(200);
    expect((await B.get('/dental/patients/3')).body.lastName).toBe('Postgres');
    const created = await A.post('/dental/patients', {
      firstName: 'Pg',
      lastName: 'User',
      email: 'pg.user@example.test',
      phone: '+1-555-0000',
      dateOfBirth: '1970-01-01',
    });
    expect(created.status).toBe(201);
    expect((await B.get('/dental/dashboard/stats')).body.patients).toBe(before.body.patients + 1);
    expect(
      (await A.post('/dental/patients', { ...created.body, email: 'pg.user@example.test' })).status,
    ).toBe(409);
    expect(
      (
        await A.post('/dental/appointments', {
          patientId: 1,
          staffId: 42,
          startsAt: '2026-12-01T10:00:00Z',
          reason: 'x',
        })
      ).status,
    ).toBe(422);
  });

  it('school and care sign-in work against PostgreSQL', async () => {
    const school = await Client.for(a).post('/school/auth/login', {
      email: 'teacher@school.test',
      password: 'demo-password',
    });
    expect(school.status).toBe(200);
    expect(
      (await Client.for(b).get('/school/dashboard', { token: school.body.accessToken })).status,
    ).toBe(200);
    const care = Client.for(a, { useCookies: true });
    expect(
      (await care.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' }))
        .status,
    ).toBe(200);
    expect((await care.on(b).get('/care/clients')).body.items.length).toBe(100);
  });
});
