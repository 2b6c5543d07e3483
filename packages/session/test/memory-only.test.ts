import type { SessionData } from 'express-session';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createSessionMiddleware,
  errors,
  type OnRedisError,
  type SessionMiddleware,
  type SessionMiddlewareOptions,
  type SessionStats,
  type UserSessionInfo,
} from '../src/index.js';
import { Browser, capturingLogger, SECRET, startApp } from './helpers.js';

describe('memory-only (no redis)', () => {
  it('logins, counts, listing, revocation and logout work in this instance, with one info line', async () => {
    const logger = capturingLogger();
    const mw = createSessionMiddleware({ secret: SECRET, production: false, logger });
    expect(logger.lines.filter((l) => /memory-only/.test(l.msg))).toHaveLength(1);
    const seen: string[] = [];
    const off = mw.events.on((e) => {
      expect(e.package).toBe('session');
      seen.push(`${e.type}:${e.operation}`);
    });
    const { url } = await startApp(mw);
    const phone = new Browser(url, 'sid', { 'user-agent': 'phone' });
    const laptop = new Browser(url, 'sid', { 'user-agent': 'laptop' });
    expect((await phone.req('POST', '/login?user=mo')).status).toBe(200);
    expect((await laptop.req('POST', '/login?user=mo')).status).toBe(200);
    for (let i = 1; i <= 3; i++) expect((await phone.req('POST', '/count')).body.count).toBe(i);
    expect((await phone.req('GET', '/me')).body).toEqual({ userId: 'mo', count: 3 });
    const listed = (await phone.req('GET', '/sessions')).body as unknown as UserSessionInfo[];
    expect(listed.map((s) => s.userAgent).sort()).toEqual(['laptop', 'phone']);
    expect(listed.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['phone']);
    expect((await phone.req('POST', '/sessions/revoke-others')).body.revoked).toBe(1);
    expect((await laptop.req('GET', '/me')).body.userId).toBeNull();
    const copy = new Browser(url);
    copy.cookie = phone.cookie;
    expect((await phone.req('POST', '/logout')).status).toBe(200);
    expect((await copy.req('GET', '/me')).body.userId).toBeNull();
    expect(await mw.listUserSessions('mo')).toEqual([]);
    off();
    expect(seen).toContain('hit:get');
    expect(seen).toContain('revocation:revoke');
    expect(seen).toContain('revocation:destroy');
    const stats = mw.stats();
    expect(stats.redis).toBe('absent');
    expect(stats.revocation).toBeGreaterThanOrEqual(2);
    expect(stats.hit).toBeGreaterThan(0);
    expect(stats.error + stats.fallback).toBe(0);
  });

  it('cookie.expires = Invalid Date is "no expiry given": the default ttl applies', async () => {
    const mw = createSessionMiddleware({ secret: SECRET, production: false, ttl: '1h' });
    const sid = 'invalid-date-session-0001';
    const session = { cookie: { expires: new Date('not a date') } } as unknown as SessionData;
    await mw.store.write(sid, session);
    expect(await mw.store.read(sid)).not.toBeNull();
    expect(mw.stats().memoryEntries).toBe(1);
  });

  it('is bounded by maxMemoryEntries (oldest evicted first)', async () => {
    const mw = createSessionMiddleware({ secret: SECRET, production: false, maxMemoryEntries: 3 });
    const cookie = { originalMaxAge: 60_000 } as SessionData['cookie'];
    for (let i = 0; i < 5; i++) {
      await mw.store.write(`bounded-session-${i}xx`, { cookie } as SessionData);
    }
    expect(mw.stats().memoryEntries).toBe(3);
    expect(await mw.store.read('bounded-session-0xx')).toBeNull();
    expect(await mw.store.read('bounded-session-4xx')).not.toBeNull();
  });
});

describe('public types', () => {
  it('the factory and its options', () => {
    expectTypeOf(createSessionMiddleware).parameter(0).toEqualTypeOf<SessionMiddlewareOptions>();
    expectTypeOf(createSessionMiddleware).returns.toEqualTypeOf<SessionMiddleware>();
    expectTypeOf<SessionMiddlewareOptions['onRedisError']>().toEqualTypeOf<
      OnRedisError | undefined
    >();
    expectTypeOf<OnRedisError>().toEqualTypeOf<'deny' | 'memory'>();
    expectTypeOf<SessionMiddlewareOptions>().toHaveProperty('redis');
    expectTypeOf<SessionMiddlewareOptions>().toHaveProperty('durability');
    expectTypeOf<SessionMiddlewareOptions>().toHaveProperty('maxMemoryEntries');
    expectTypeOf<SessionMiddlewareOptions>().not.toHaveProperty('memoryMaxSessions');
    expectTypeOf<SessionMiddlewareOptions>().not.toHaveProperty('retryAfterSeconds');
    expectTypeOf<SessionMiddleware['login']>().returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf<SessionMiddleware['revokeUserSessions']>().returns.toEqualTypeOf<
      Promise<number>
    >();
    expectTypeOf<SessionMiddleware['listUserSessions']>().returns.toEqualTypeOf<
      Promise<UserSessionInfo[]>
    >();
    expectTypeOf<SessionStats['redis']>().toEqualTypeOf<'up' | 'down' | 'absent'>();
    expectTypeOf<SessionStats['revocation']>().toEqualTypeOf<number>();
    expectTypeOf(errors.SessionStoreUnavailableError.code).toEqualTypeOf<'E_SESSION_UNAVAILABLE'>();
    const typeOnly = () => {
      // @ts-expect-error: a secret is required
      createSessionMiddleware({});
      // @ts-expect-error: 'fail' was renamed 'deny'
      createSessionMiddleware({ secret: SECRET, onRedisError: 'fail' });
    };
    expectTypeOf(typeOnly).toBeFunction();
  });
});
