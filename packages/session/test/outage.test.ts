import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionMiddleware, type SessionMiddlewareOptions } from '../src/index.js';
import { Browser, capturingLogger, SECRET, startApp } from './helpers.js';

// Outages are exercised on a standalone server (kill = SIGKILL, pause = SIGSTOP).
describe('when Redis is down', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    server.resume();
    await server.stop();
  });
  // A client with ioredis defaults (no commandTimeout, offline queue on): the package must bound waits itself.
  const client = () => {
    const c = new Redis({ host: server.host, port: server.port });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  const make = (extra: Partial<SessionMiddlewareOptions> = {}) =>
    createSessionMiddleware({
      redis: client(),
      secret: SECRET,
      production: false,
      commandTimeoutMs: 500,
      cooldownMs: 300,
      ...extra,
    });
  const ensureUp = async () => {
    server.resume();
    const probe = client();
    await waitUntil(async () => (await probe.ping()) === 'PONG', { what: 'server back' });
  };

  it("'fail': a killed server gives 503 JSON with Retry-After at once, and recovery after restart", async () => {
    const mw = make();
    const { url } = await startApp(mw);
    const b = new Browser(url);
    await b.req('POST', '/login?user=gina');
    await server.kill();
    try {
      const started = performance.now();
      const r = await b.req('GET', '/me');
      expect(r.status).toBe(503);
      expect(r.body.error?.code).toBe('session_store_unavailable');
      expect(r.headers.get('retry-after')).toBe('5');
      expect(performance.now() - started).toBeLessThan(1500); // timeout 500 ms, 3x slack
      // a route helper (login) failing the same way goes through errorHandler
      const fresh = new Browser(url);
      const login = await fresh.req('POST', '/login?user=gina');
      expect(login.status).toBe(503);
    } finally {
      await server.restart();
    }
    await waitUntil(async () => (await b.req('GET', '/me')).status === 200, {
      what: 'recovery',
      timeoutMs: 20_000,
    });
    // restart() keeps no data: the session is gone, the app works again
    expect((await b.req('POST', '/login?user=gina')).status).toBe(200);
    expect((await b.req('GET', '/me')).body.userId).toBe('gina');
  });

  it("'fail': a paused server gives 503 within the command timeout, never a hang", async () => {
    await ensureUp();
    const mw = make();
    const { url } = await startApp(mw);
    const b = new Browser(url);
    await b.req('POST', '/login?user=hank');
    server.pause();
    try {
      for (let i = 0; i < 3; i++) {
        const started = performance.now();
        const r = await b.req('GET', '/me');
        expect(r.status).toBe(503);
        expect(performance.now() - started).toBeLessThan(1500);
      }
    } finally {
      server.resume();
    }
    await waitUntil(async () => (await b.req('GET', '/me')).body.userId === 'hank', {
      what: 'recovery',
    });
  });

  it("'memory': a killed server falls back to process memory with one warning", async () => {
    await ensureUp();
    const logger = capturingLogger();
    const mw = make({ onRedisError: 'memory', logger });
    const { url } = await startApp(mw);
    const b = new Browser(url);
    await server.kill();
    try {
      expect((await b.req('POST', '/login?user=ivy')).status).toBe(200);
      for (let i = 1; i <= 5; i++) expect((await b.req('POST', '/count')).body.count).toBe(i);
      expect((await b.req('GET', '/me')).body).toEqual({ userId: 'ivy', count: 5 });
      expect(
        logger.lines.filter((l) => l.level === 'warn' && /process memory/.test(l.msg)),
      ).toHaveLength(1);
      expect(mw.stats().fallbacks).toBeGreaterThan(0);
      // logout during the outage sticks locally
      const old = new Browser(url);
      old.cookie = b.cookie;
      expect((await b.req('POST', '/logout')).status).toBe(200);
      expect((await old.req('GET', '/me')).body.userId).toBeNull();
    } finally {
      await server.restart();
    }
  });

  it("'memory': a destroy that could not reach Redis is replayed when Redis answers again", async () => {
    await ensureUp();
    const logger = capturingLogger();
    const mw = make({ onRedisError: 'memory', logger, cooldownMs: 5_000 });
    const { url } = await startApp(mw);
    const b = new Browser(url);
    await b.req('POST', '/login?user=jay');
    const sid = b.sid!;
    server.pause();
    try {
      expect(await mw.store.read(sid)).toBeNull(); // times out: served from memory, circuit opens
      const started = performance.now();
      await mw.store.remove(sid); // circuit open: never sent, remembered instead
      expect(performance.now() - started).toBeLessThan(100);
    } finally {
      server.resume();
    }
    const direct = client();
    expect(await direct.exists(mw.store.keys.session(sid))).toBe(1);
    await waitUntil(
      async () => {
        await mw.store.read('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'); // the first call after the cooldown probes Redis
        return (await direct.exists(mw.store.keys.session(sid))) === 0;
      },
      { what: 'destroy replayed', timeoutMs: 20_000 },
    );
    expect((await b.req('GET', '/me')).body.userId).toBeNull();
    expect(await mw.listUserSessions('jay')).toEqual([]);
    expect(logger.lines.some((l) => l.level === 'info' && /back/.test(l.msg))).toBe(true);
  });
});
