import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseHandle, openDatabase } from '../src/db/connect.js';
import { databaseOutbox } from '../src/db/outbox.js';
import { Client, startApp } from './helpers.js';

let database: DatabaseHandle;
beforeAll(async () => {
  database = await openDatabase({ seed: { patients: 20, appointments: 50 } });
});
afterAll(async () => {
  await database?.close();
});

describe('databaseOutbox (the toolkit Outbox on PGlite)', () => {
  it('appends durably, lists oldest first up to a limit, removes by id, counts', async () => {
    const outbox = databaseOutbox<{ id: string; value: number }>(database.db);
    await sql`delete from outbox`.execute(database.db);
    const now = Date.now();
    await outbox.append({
      id: 'b',
      kind: 'revoke',
      payload: { id: 'j:2', value: 2 },
      createdAt: now,
    });
    await outbox.append({
      id: 'a',
      kind: 'revokeAll',
      payload: { id: 's:1', value: 1 },
      createdAt: now - 10,
    });
    await outbox.append({
      id: 'c',
      kind: 'revoke',
      payload: { id: 'j:3', value: 3 },
      createdAt: now,
    });
    // The same entry twice (a retried append) is one entry.
    await outbox.append({
      id: 'c',
      kind: 'revoke',
      payload: { id: 'j:3', value: 3 },
      createdAt: now,
    });
    expect(await outbox.size()).toBe(3);
    expect(await outbox.list(2)).toEqual([
      { id: 'a', kind: 'revokeAll', payload: { id: 's:1', value: 1 }, createdAt: now - 10 },
      { id: 'b', kind: 'revoke', payload: { id: 'j:2', value: 2 }, createdAt: now },
    ]);
    expect(await outbox.list(0)).toEqual([]);
    await outbox.remove(['a', 'unknown']);
    await outbox.remove([]);
    expect((await outbox.list(10)).map((e) => e.id)).toEqual(['b', 'c']);
    expect(await outbox.size()).toBe(2);
    // Another handle on the same database (another instance) sees the same entries.
    expect(await databaseOutbox(database.db).size()).toBe(2);
    await outbox.remove(['b', 'c']);
    expect(await outbox.size()).toBe(0);
  });
});

describe('school tokens while Redis is down', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  // 60 s: its waits may take 20 s (the replay) + 15 s (the login), and each names itself when it
  // runs out, which the default 30 s test timeout would pre-empt.
  it('refresh and login answer 503 + Retry-After; logout goes to the database outbox and reaches Redis', async () => {
    await sql`delete from outbox`.execute(database.db);
    const outbox = databaseOutbox(database.db);
    const app = await startApp({ REDIS_URL: redis.url }, database);
    try {
      await app.redis.waitUntilReady();
      await app.platform.blacklist.ready();
      const c = Client.for(app);
      const login = () =>
        c.post('/school/auth/login', { email: 'teacher@school.test', password: 'demo-password' });
      const t = (await login()).body;
      expect((await c.get('/school/me', { token: t.accessToken })).status).toBe(200);

      await redis.kill();
      await waitUntil(() => app.redis.runtime?.available === false, { what: 'outage seen' });
      const refresh = await c.post('/school/auth/refresh', { refreshToken: t.refreshToken });
      expect(refresh.status).toBe(503);
      expect(Number(refresh.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(refresh.body).toEqual({
        error: { code: 'E_BLACKLIST_UNAVAILABLE', message: expect.any(String) },
      });
      expect((await login()).status).toBe(503);

      // A logout is accepted (the database outbox has it) and honoured here at once.
      const logout = await c.post(
        '/school/auth/logout',
        { refreshToken: t.refreshToken },
        { token: t.accessToken },
      );
      expect(logout.status).toBe(204);
      expect(await outbox.size()).toBe(2);
      expect((await c.get('/school/me', { token: t.accessToken })).status).toBe(401);

      await redis.restart();
      await waitUntil(async () => (await outbox.size()) === 0, {
        what: 'outbox replayed into Redis',
        timeoutMs: 20_000,
      });
      expect(
        (await redis.cli('KEYS', 'school:blacklist:t:*')).split('\n').filter(Boolean),
      ).toHaveLength(2);
      // Issuing again, and the revoked refresh token stays revoked.
      await waitUntil(async () => (await login()).status === 200, { what: 'login accepted' });
      expect((await c.post('/school/auth/refresh', { refreshToken: t.refreshToken })).status).toBe(
        401,
      );
    } finally {
      await app.shutdown();
    }
  }, 60_000);

  it('a revocation taken by an instance that is gone is replayed by another from the database', async () => {
    await sql`delete from outbox`.execute(database.db);
    const first = await startApp({ REDIS_URL: redis.url }, database);
    let token: string;
    try {
      await first.redis.waitUntilReady();
      // Until the revocation mirror is in sync the blacklist cannot vouch: no tokens yet.
      expect(await first.platform.blacklist.ready()).toBe(true);
      const c = Client.for(first);
      token = (
        await c.post('/school/auth/login', {
          email: 'student@school.test',
          password: 'demo-password',
        })
      ).body.accessToken;
      await redis.kill();
      await waitUntil(() => first.redis.runtime?.available === false, { what: 'outage seen' });
      expect((await c.post('/school/auth/logout', undefined, { token })).status).toBe(204);
    } finally {
      // Shut down while Redis is still down: the entry stays in the database, not in this process.
      await first.shutdown();
    }
    expect(await databaseOutbox(database.db).size()).toBe(1);
    await redis.restart();
    const second = await startApp({ REDIS_URL: redis.url }, database);
    try {
      await second.redis.waitUntilReady();
      await waitUntil(async () => (await databaseOutbox(database.db).size()) === 0, {
        what: 'the other instance replayed the outbox',
        timeoutMs: 20_000,
      });
      expect((await Client.for(second).get('/school/me', { token })).status).toBe(401);
    } finally {
      await second.shutdown();
    }
  });
});
