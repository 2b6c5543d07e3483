import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { Client, startApp } from './helpers.js';
import { openStream } from './sse.js';

const login = async (client: Client, email = 'carer@care.test', password = 'demo-password') =>
  client.post('/care/auth/login', { email, password });

describe('home care: sessions, clients, presence and alerts (two instances)', () => {
  let redis: RedisServer;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    redis = await startRedis();
    const env = {
      REDIS_URL: redis.url,
      RATE_LIMIT_ENABLED: 'true',
      GLOBAL_RATE_LIMIT: '100000',
      API_RATE_LIMIT: '100000',
    };
    a = await startApp(env);
    b = await startApp(env, a.database);
    await Promise.all([a.redis.waitUntilReady(), b.redis.waitUntilReady()]);
  });
  afterAll(async () => {
    await b?.shutdown();
    await a?.shutdown();
    await redis?.stop();
  });

  it('login sets an HttpOnly session cookie that works on both instances; /me needs it', async () => {
    const A = Client.for(a, { useCookies: true });
    expect((await A.get('/care/me')).status).toBe(401);
    const res = await login(A);
    expect(res.status).toBe(200);
    expect(res.body.carer).toMatchObject({ email: 'carer@care.test', name: 'Cara Carer' });
    const cookie = res.headers.getSetCookie().join('\n');
    expect(cookie).toMatch(/care\.sid=.*HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    const me = await A.on(b).get('/care/me');
    expect(me.status).toBe(200);
    expect(me.body.carer).toMatchObject({ id: 1, name: 'Cara Carer' });
    // Seven-day session in Redis, with the refresh token kept server-side.
    const keys = (await redis.cli('KEYS', 'care:session:{*}')).split('\n').filter(Boolean);
    expect(keys.length).toBeGreaterThan(0);
    const ttl = Number(await redis.cli('PTTL', keys[0]!));
    expect(ttl).toBeGreaterThan(6.9 * 24 * 3600_000);
    expect(await redis.cli('GET', keys[0]!)).toMatch(/"refreshToken":"[\w-]{40,}"/);
  });

  it('wrong password is 401, bad body is 400', async () => {
    const c = Client.for(a, { useCookies: true });
    expect(
      (await c.post('/care/auth/login', { email: 'nurse@care.test', password: 'nope' })).status,
    ).toBe(401);
    expect(
      (await c.post('/care/auth/login', { email: 'not-an-email', password: 'x' })).status,
    ).toBe(400);
    expect((await c.post('/care/auth/login', {})).status).toBe(400);
  });

  it('lists the carer’s devices and revokes one; the revoked device is signed out everywhere', async () => {
    const phone = Client.for(a, { useCookies: true });
    const tablet = Client.for(b, { useCookies: true });
    await login(phone, 'nurse@care.test');
    await login(tablet, 'nurse@care.test');
    const list = await phone.get('/care/sessions');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThanOrEqual(2);
    const current = list.body.items.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    const other = list.body.items.find((s: { current: boolean }) => !s.current);
    expect(other.id).toMatch(/^[\w-]{22}$/);
    expect((await phone.delete(`/care/sessions/${other.id}`)).status).toBe(204);
    expect((await tablet.get('/care/me')).status).toBe(401);
    expect((await tablet.on(a).get('/care/me')).status).toBe(401);
    expect((await phone.get('/care/me')).status).toBe(200);
    expect((await phone.delete(`/care/sessions/${other.id}`)).status).toBe(404);
    expect((await phone.delete('/care/sessions/not*a*handle')).status).toBe(400);
    // Another carer cannot revoke this carer's session by its id.
    const mine = (await phone.get('/care/sessions')).body.items[0].id as string;
    const intruder = Client.for(a, { useCookies: true });
    await login(intruder);
    expect((await intruder.delete(`/care/sessions/${mine}`)).status).toBe(404);
  });

  it('logout sticks: the old cookie is dead on both instances', async () => {
    const c = Client.for(a, { useCookies: true });
    await login(c);
    const saved = c.cookieHeader();
    expect((await c.post('/care/auth/logout')).status).toBe(204);
    for (const app of [a, b]) {
      const res = await fetch(`http://127.0.0.1:${app.port}/care/me`, {
        headers: { cookie: saved },
      });
      expect(res.status).toBe(401);
    }
  });

  it('client list is cached 5 min per carer and refreshed at once after a change, on the other instance', async () => {
    const A = Client.for(a, { useCookies: true });
    await login(A);
    const B = A.on(b);
    const first = await B.get('/care/clients');
    expect(first.status).toBe(200);
    expect(first.body.items.length).toBeGreaterThan(50);
    expect((await A.get('/care/clients')).headers.get('x-cache')).toBe('HIT');
    expect(Number(await redis.cli('PTTL', 'care:cache:clients:carer:1'))).toBeGreaterThan(
      4 * 60_000,
    );
    const target = first.body.items[0];
    const level = target.careLevel === 'high' ? 'low' : 'high';
    expect((await A.patch(`/care/clients/${target.id}`, { careLevel: level })).status).toBe(200);
    const after = await B.get('/care/clients');
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(after.body.items[0].careLevel).toBe(level);
    // Not this carer's client: 404, and bad input: 400.
    const nurseClient = 1; // clients alternate between the two carers; id 1 belongs to carer 2
    expect((await A.patch(`/care/clients/${nurseClient}`, { careLevel: 'low' })).status).toBe(404);
    expect((await A.patch(`/care/clients/${target.id}`, { careLevel: 'extreme' })).status).toBe(
      400,
    );
  });

  it('presence: heartbeat on one instance, online on the other, in a sorted set with a 5-minute TTL', async () => {
    const A = Client.for(a, { useCookies: true });
    await login(A, 'nurse@care.test');
    const beat = await A.post('/care/presence/heartbeat');
    expect(beat.status).toBe(200);
    expect(beat.body).toMatchObject({ carerId: 2, ttlSeconds: 300, source: 'redis' });
    const online = await A.on(b).get('/care/presence/online');
    expect(online.body.online.map((o: { carerId: number }) => o.carerId)).toContain(2);
    expect(Number(await redis.cli('ZSCORE', 'care:presence', '2'))).toBeGreaterThan(
      Date.now() - 60_000,
    );
    expect(Number(await redis.cli('PTTL', 'care:presence'))).toBeGreaterThan(4 * 60_000);
    // A heartbeat older than five minutes is not online.
    await redis.cli('ZADD', 'care:presence', String(Date.now() - 6 * 60_000), '99');
    const again = await A.get('/care/presence/online');
    expect(again.body.online.map((o: { carerId: number }) => o.carerId)).not.toContain(99);
    expect((await Client.for(a).post('/care/presence/heartbeat')).status).toBe(401);
  });

  it('an alert raised on instance A reaches the carer’s SSE stream on instance B', async () => {
    const A = Client.for(a, { useCookies: true });
    await login(A);
    const stream = await openStream(A.on(b));
    try {
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/text\/event-stream/);
      await waitUntil(() => stream.events.some((e) => e.event === 'ready'), {
        what: 'stream ready',
      });
      expect(JSON.parse(stream.events.find((e) => e.event === 'ready')!.data)).toEqual({
        crossInstance: true,
      });
      const raised = await A.post('/care/alerts', {
        clientId: 2,
        severity: 'critical',
        message: 'Fall detected',
      });
      expect(raised.status).toBe(201);
      expect(raised.body.delivery).toBe('redis');
      await waitUntil(() => stream.events.some((e) => e.event === 'alert'), {
        what: 'alert on B',
        timeoutMs: 5_000,
      });
      const alert = JSON.parse(stream.events.find((e) => e.event === 'alert')!.data);
      expect(alert).toMatchObject({
        clientId: 2,
        carerId: 1,
        severity: 'critical',
        message: 'Fall detected',
      });
      expect(
        (await A.post('/care/alerts', { clientId: 1, severity: 'info', message: 'x' })).status,
      ).toBe(404);
      expect(
        (await A.post('/care/alerts', { clientId: 2, severity: 'panic', message: 'x' })).status,
      ).toBe(400);
      expect((await Client.for(b).get('/care/alerts/stream')).status).toBe(401);
    } finally {
      await stream.close();
    }
  });

  it('login is limited to 5 failed attempts per 15 minutes (auth preset)', async () => {
    const c = Client.for(a, { useCookies: true });
    for (let i = 0; i < 5; i++) {
      expect(
        (await c.post('/care/auth/login', { email: 'carer@care.test', password: `guess-${i}` }))
          .status,
      ).toBe(401);
    }
    // Sixth attempt, right password, other instance: still refused (the count lives in Redis).
    const sixth = await login(Client.for(b, { useCookies: true }));
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('E_RATELIMIT_LIMITED');
    // The budget is per IP + e-mail: another account from the same address still signs in.
    expect((await login(c, 'nurse@care.test')).status).toBe(200);
  });
});
