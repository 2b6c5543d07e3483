import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session, { type SessionData } from 'express-session';
import { describe, expect, it } from 'vitest';
import { createSessionMiddleware, type SessionMiddlewareOptions } from '../src/index.js';
import { Browser, capturingLogger, gate, SECRET, SECRET_B, startApp } from './helpers.js';

let n = 0;
const uniquePrefix = () => `t${process.pid}x${++n}:`;

describeEachTopology(
  'session middleware',
  (ctx) => {
    const make = (extra: Partial<SessionMiddlewareOptions> = {}) =>
      createSessionMiddleware({
        redis: ctx.client(),
        secret: SECRET,
        prefix: uniquePrefix(),
        production: false,
        ...extra,
      });

    describe('cookies', () => {
      it('development: HttpOnly, SameSite=Lax, not Secure, only once the session is used', async () => {
        const { url } = await startApp(make());
        const b = new Browser(url);
        const first = await b.req('GET', '/me');
        expect(first.setCookies).toEqual([]); // saveUninitialized: false
        const r = await b.req('POST', '/count');
        expect(r.setCookies).toHaveLength(1);
        const c = r.setCookies[0]!;
        expect(c).toMatch(/^sid=s%3A/);
        expect(c).toMatch(/; HttpOnly/);
        expect(c).toMatch(/; SameSite=Lax/);
        expect(c).not.toMatch(/; Secure/);
        expect(c).toMatch(/; Expires=/);
        expect((await b.req('POST', '/count')).body.count).toBe(2);
      });

      it('production: Secure behind a trusted TLS proxy; no cookie and one warning when trust proxy is off', async () => {
        const { url } = await startApp(make({ production: true }), (app) =>
          app.set('trust proxy', 'loopback'),
        );
        const b = new Browser(url, 'sid', { 'x-forwarded-proto': 'https' });
        const r = await b.req('POST', '/count');
        expect(r.setCookies[0]).toMatch(/; Secure/);
        expect(r.setCookies[0]).toMatch(/; HttpOnly/);
        expect(r.setCookies[0]).toMatch(/; SameSite=Lax/);
        expect((await b.req('POST', '/count')).body.count).toBe(2);

        const logger = capturingLogger();
        const plain = await startApp(make({ production: true, logger }));
        const p = new Browser(plain.url, 'sid', { 'x-forwarded-proto': 'https' });
        expect((await p.req('POST', '/count')).setCookies).toEqual([]);
        await p.req('POST', '/count');
        expect(
          logger.lines.filter((l) => l.level === 'warn' && /trust proxy/.test(l.msg)),
        ).toHaveLength(1);
      });

      it('rotates secrets: old cookies stay valid, new cookies are signed with the first secret', async () => {
        const prefix = uniquePrefix();
        const old = await startApp(make({ prefix, secret: SECRET }));
        const b = new Browser(old.url);
        await b.req('POST', '/login?user=rot');
        expect(b.signedWith(SECRET)).toBe(true);

        const rotated = await startApp(make({ prefix, secret: [SECRET_B, SECRET], rolling: true }));
        const b2 = new Browser(rotated.url);
        b2.cookie = b.cookie;
        const me = await b2.req('GET', '/me');
        expect(me.body.userId).toBe('rot');
        expect(b2.signedWith(SECRET_B)).toBe(true); // re-issued (rolling) with the new secret

        const onlyNew = await startApp(make({ prefix, secret: [SECRET_B] }));
        const b3 = new Browser(onlyNew.url);
        b3.cookie = b.cookie; // signed with the retired secret
        expect((await b3.req('GET', '/me')).body.userId).toBeNull();
        b3.cookie = b2.cookie;
        expect((await b3.req('GET', '/me')).body.userId).toBe('rot');
      });
    });

    it('a session started under express-session itself carries on here (same cookie, same data)', async () => {
      const mw = make();
      const legacy = express();
      legacy.use(
        session({
          store: mw.store,
          secret: SECRET,
          name: 'sid',
          resave: false,
          saveUninitialized: false,
          cookie: { httpOnly: true, sameSite: 'lax', maxAge: 86_400_000 },
        }),
      );
      legacy.post('/count', (req, res) => {
        const s = req.session as { count?: number };
        s.count = (s.count ?? 0) + 1;
        res.json({ count: s.count });
      });
      const server = legacy.listen(0, '127.0.0.1');
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      try {
        const address = server.address() as { port: number };
        const old = new Browser(`http://127.0.0.1:${address.port}`);
        expect((await old.req('POST', '/count')).body.count).toBe(1);
        const { url } = await startApp(mw);
        const b = new Browser(url);
        b.cookie = old.cookie;
        expect((await b.req('POST', '/count')).body.count).toBe(2);
        expect((await b.req('GET', '/me')).body.count).toBe(2);
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('login regenerates the session id (no fixation); the pre-login id is dead', async () => {
      const { url } = await startApp(make());
      const b = new Browser(url);
      await b.req('POST', '/count');
      const before = b.cookie;
      await b.req('POST', '/login?user=alice');
      expect(b.cookie).toBeDefined();
      expect(b.cookie).not.toBe(before);
      expect((await b.req('GET', '/me')).body.userId).toBe('alice');

      const attacker = new Browser(url);
      attacker.cookie = before;
      expect((await attacker.req('GET', '/me')).body).toEqual({ userId: null, count: 0 });
    });

    it('sessions expire, and the user index forgets them', async () => {
      const mw = make({ ttl: '2s' }); // activityResolution defaults to ttl / 10 = 200 ms
      const { url } = await startApp(mw);
      const b = new Browser(url);
      await b.req('POST', '/login?user=brief');
      expect(await mw.listUserSessions('brief')).toHaveLength(1);
      const sid = b.sid!;
      await waitUntil(async () => (await mw.store.read(sid)) === null, {
        timeoutMs: 10_000,
        what: 'session expiry',
      });
      const expired = Date.now();
      expect((await b.req('GET', '/me')).body.userId).toBeNull();
      // The index entry outlives the session by at most 2 × activityResolution (400 ms here).
      await waitUntil(async () => (await mw.listUserSessions('brief')).length === 0, {
        timeoutMs: 10_000,
        what: 'index pruned',
      });
      expect(Date.now() - expired).toBeLessThan(5_000);
      const redis = ctx.client();
      await waitUntil(async () => (await redis.exists(mw.store.keys.userIndex('brief'))) === 0, {
        timeoutMs: 10_000,
        what: 'index key expiry',
      });
    });

    /** Calls per data command on every master since the last RESETSTAT (only the ones sent). */
    const dataCalls = async (): Promise<Record<string, number>> => {
      const servers = ctx.cluster ? await ctx.cluster.masters() : [ctx.standalone!];
      const calls: Record<string, number> = {};
      for (const server of servers) {
        const info = await server.cli('INFO', 'commandstats');
        for (const [, cmd, n] of info.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)) {
          calls[cmd!] = (calls[cmd!] ?? 0) + Number(n);
        }
      }
      const data = ['get', 'mget', 'set', 'pexpire', 'evalsha', 'eval', 'zadd', 'exists'];
      return Object.fromEntries(data.filter((c) => calls[c]).map((c) => [c, calls[c]!]));
    };
    const resetStats = async () => {
      const servers = ctx.cluster ? await ctx.cluster.masters() : [ctx.standalone!];
      for (const server of servers) await server.cli('CONFIG', 'RESETSTAT');
    };

    it('a logged-in request costs one Redis command to load and one to save; a touch within activityResolution costs none', async () => {
      const mw = make();
      const { url } = await startApp(mw);
      const b = new Browser(url);
      await b.req('POST', '/login?user=lean');
      await resetStats();
      for (let i = 0; i < 10; i++) expect((await b.req('GET', '/me')).body.userId).toBe('lean');
      for (let i = 0; i < 10; i++) expect((await b.req('POST', '/count')).body.count).toBe(i + 1);
      // 20 loads (a GET each: this instance set the index mark at login, so it need not read it),
      // 10 saves (SET XX), and the 10 touches send nothing: the mark says the expiry was slid less
      // than activityResolution (1 min) ago. connect-redis sends EXPIRE for each of them.
      expect(await dataCalls()).toEqual({ get: 20, set: 10 });
      expect(mw.stats().indexRefreshes).toBe(1); // the one at login
      expect(mw.stats().touchesSkipped).toBe(10);
      expect((await mw.listUserSessions('lean')).map((s) => s.current)).toEqual([false]);
    });

    it('another app instance reads the mark from Redis (MGET) and spares the same touches; after a logout, a load of the old cookie reads the mark again', async () => {
      const prefix = uniquePrefix();
      const a = make({ prefix });
      const b = make({ prefix });
      const appA = await startApp(a);
      const appB = await startApp(b);
      const onA = new Browser(appA.url);
      await onA.req('POST', '/login?user=both');
      const onB = new Browser(appB.url);
      onB.cookie = onA.cookie;
      await resetStats();
      for (let i = 0; i < 5; i++) expect((await onB.req('GET', '/me')).body.userId).toBe('both');
      // instance B did not set the mark: it loads the session with its mark, and the mark spares
      // the touches and the index refresh there too
      expect(await dataCalls()).toEqual({ mget: 5 });
      expect(b.stats().touchesSkipped).toBe(5);
      expect(b.stats().indexRefreshes).toBe(0);

      // a logout on A drops A's memory of the mark: the old cookie is loaded with its mark again
      const old = onA.cookie;
      await onA.req('POST', '/logout');
      onA.cookie = old;
      await resetStats();
      expect((await onA.req('GET', '/me')).body.userId).toBeNull();
      expect(await dataCalls()).toEqual({ mget: 1 });
    });

    it('a touch that sends nothing lets the response leave in one write (express-session splits off the last byte while a store call is pending)', async () => {
      const mw = make();
      let splitWrites = 0;
      const { url } = await startApp(mw, (app) =>
        app.use('/me', (_req, res, next) => {
          const write = res.write.bind(res) as (...args: unknown[]) => boolean;
          res.write = ((...args: unknown[]) => {
            splitWrites++;
            return write(...args);
          }) as typeof res.write;
          next();
        }),
      );
      const b = new Browser(url);
      await b.req('POST', '/login?user=onewrite');
      // ahead of the session, the probe counts the res.write calls of /me's answers
      for (let i = 0; i < 5; i++) expect((await b.req('GET', '/me')).body.userId).toBe('onewrite');
      expect(mw.stats().touchesSkipped).toBeGreaterThanOrEqual(5);
      expect(splitWrites).toBe(0);
    });

    it('a skipped touch never keeps a session longer: a changed cookie maxAge reaches Redis at once', async () => {
      const mw = make({ ttl: '1h' });
      const { url } = await startApp(mw);
      const b = new Browser(url);
      await b.req('POST', '/login?user=slide');
      const sid = b.sid!;
      const redis = ctx.client();
      const unchanged = (await mw.store.read(sid))!;
      await mw.store.refresh(sid, unchanged);
      expect(mw.stats().touchesSkipped).toBe(1);
      // the app shortens this session (say, "remember me" unticked): not skipped
      const shortened = (await mw.store.read(sid))!;
      shortened.cookie.originalMaxAge = 60_000;
      shortened.cookie.expires = new Date(Date.now() + 60_000);
      await mw.store.refresh(sid, shortened);
      expect(mw.stats().touchesSkipped).toBe(1);
      expect(await redis.pttl(mw.store.keys.session(sid))).toBeLessThanOrEqual(60_000);
    });

    it('refreshes the user index at most once per activityResolution, and it never lags the session', async () => {
      const mw = make({ ttl: '30s', activityResolution: '2s' });
      const { url } = await startApp(mw);
      const redis = ctx.client();
      const b = new Browser(url);
      const loginAt = Date.now();
      await b.req('POST', '/login?user=sloth');
      const sid = b.sid!;
      const [first] = await mw.listUserSessions('sloth');
      expect(first!.lastSeenAt).toBeGreaterThanOrEqual(loginAt - 5);
      expect(first!.lastSeenAt).toBeLessThanOrEqual(Date.now());
      // the cookie's expiry is set a moment before login stamps createdAt, which lastSeenAt never precedes
      expect(first!.lastSeenAt).toBeGreaterThanOrEqual(first!.createdAt);
      expect(first!.expiresAt - first!.lastSeenAt).toBeLessThanOrEqual(30_000);
      expect(first!.expiresAt - first!.lastSeenAt).toBeGreaterThan(29_990);
      const handle = first!.id;
      const refreshes = () => mw.stats().indexRefreshes;
      const indexCoversSession = async () => {
        const [score, pttl] = await Promise.all([
          redis.zscore(mw.store.keys.userIndex('sloth'), handle),
          redis.pttl(mw.store.keys.session(sid)),
        ]);
        // pruning (score < now) can never drop the session while it lives
        expect(Number(score)).toBeGreaterThanOrEqual(Date.now() + pttl - 20);
      };

      for (let round = 0; round < 3; round++) {
        const before = refreshes();
        // while the mark lives (2 s), requests do not touch the index; on a very slow machine
        // it may have expired before this pair, so allow the one refresh that then follows
        await b.req('GET', '/me');
        await b.req('POST', '/count');
        await indexCoversSession();
        const skipped = refreshes() === before;
        expect(refreshes() - before).toBeLessThanOrEqual(1);
        // once it expires, the next request refreshes it (exactly once)
        await waitUntil(async () => (await redis.exists(mw.store.keys.indexMark(sid))) === 0, {
          timeoutMs: 5_000,
          what: 'index mark expiry',
        });
        const seenFrom = Date.now();
        await b.req(round % 2 ? 'POST' : 'GET', round % 2 ? '/count' : '/me');
        const seenTo = Date.now();
        expect(refreshes()).toBe(before + (skipped ? 1 : 2));
        await b.req('GET', '/me');
        expect(refreshes()).toBe(before + (skipped ? 1 : 2));
        await indexCoversSession();
        const [row] = await mw.listUserSessions('sloth');
        expect(row!.lastSeenAt).toBeGreaterThanOrEqual(seenFrom - 5);
        expect(row!.lastSeenAt).toBeLessThanOrEqual(seenTo);
      }
      expect((await b.req('GET', '/me')).body.count).toBe(4);
    });

    it('an index refresh that fails drops the mark, here and in Redis: the next request retries it', async () => {
      const mw = make({ activityResolution: '1s' });
      const { url } = await startApp(mw);
      const redis = ctx.client();
      const b = new Browser(url);
      await b.req('POST', '/login?user=broken');
      const mark = mw.store.keys.indexMark(b.sid!);
      await waitUntil(async () => (await redis.exists(mark)) === 0, {
        timeoutMs: 5_000,
        what: 'index mark expiry',
      });
      // a key of the wrong type where the user's index should be: the refresh script fails
      const index = mw.store.keys.userIndex('broken');
      await redis.del(index);
      await redis.set(index, 'not a sorted set');
      const before = mw.stats().indexRefreshes;
      expect((await b.req('GET', '/me')).body.userId).toBe('broken');
      expect(mw.stats().indexRefreshes).toBe(before + 1);
      await waitUntil(async () => (await redis.exists(mark)) === 0, {
        timeoutMs: 2_000,
        what: 'the mark dropped after the failed refresh',
      });
      // this instance forgot the mark too, so the next request does not take the index for fresh
      expect((await b.req('GET', '/me')).body.userId).toBe('broken');
      expect(mw.stats().indexRefreshes).toBe(before + 2);
    });

    it('activityResolution 0 refreshes the index on every request (exact lastSeenAt)', async () => {
      const mw = make({ activityResolution: 0 });
      const { url } = await startApp(mw);
      const b = new Browser(url);
      await b.req('POST', '/login?user=exact');
      const after = mw.stats().indexRefreshes;
      for (let i = 0; i < 3; i++) await b.req('GET', '/me');
      const seenFrom = Date.now();
      await b.req('POST', '/count');
      expect(mw.stats().indexRefreshes).toBe(after + 4);
      const [row] = await mw.listUserSessions('exact');
      expect(row!.lastSeenAt).toBeGreaterThanOrEqual(seenFrom - 5);
      expect(await ctx.client().exists(mw.store.keys.indexMark(b.sid!))).toBe(0);
    });

    it('lists a user’s devices with hashed ids, revokes one, then all others', async () => {
      const mw = make();
      const { url } = await startApp(mw);
      const phone = new Browser(url, 'sid', { 'user-agent': 'phone' });
      const laptop = new Browser(url, 'sid', { 'user-agent': 'laptop' });
      const tablet = new Browser(url, 'sid', { 'user-agent': 'tablet' });
      const other = new Browser(url, 'sid', { 'user-agent': 'someone-else' });
      for (const b of [phone, laptop, tablet]) await b.req('POST', '/login?user=carol');
      await other.req('POST', '/login?user=dave');

      const list = (await laptop.req('GET', '/sessions')).body as unknown as {
        id: string;
        userAgent: string;
        current: boolean;
        ip: string;
        createdAt: number;
        lastSeenAt: number;
      }[];
      expect(list.map((s) => s.userAgent).sort()).toEqual(['laptop', 'phone', 'tablet']);
      expect(list.filter((s) => s.current).map((s) => s.userAgent)).toEqual(['laptop']);
      const rawIds = [phone.sid, laptop.sid, tablet.sid];
      for (const s of list) {
        expect(rawIds).not.toContain(s.id);
        expect(JSON.stringify(s)).not.toContain(phone.sid);
        expect(s.ip).toMatch(/127\.0\.0\.1/);
        expect(s.lastSeenAt).toBeGreaterThanOrEqual(s.createdAt);
      }
      // dave cannot see or revoke carol's sessions
      const daves = (await other.req('GET', '/sessions')).body as unknown as { id: string }[];
      expect(daves).toHaveLength(1);
      const phoneId = list.find((s) => s.userAgent === 'phone')!.id;
      expect((await other.req('POST', `/sessions/${phoneId}/revoke`)).body.revoked).toBe(false);
      expect((await phone.req('GET', '/me')).body.userId).toBe('carol');

      expect((await laptop.req('POST', `/sessions/${phoneId}/revoke`)).body.revoked).toBe(true);
      expect((await phone.req('GET', '/me')).body.userId).toBeNull();

      expect((await laptop.req('POST', '/sessions/revoke-others')).body.revoked).toBe(1);
      expect((await tablet.req('GET', '/me')).body.userId).toBeNull();
      expect((await laptop.req('GET', '/me')).body.userId).toBe('carol');
      expect((await other.req('GET', '/me')).body.userId).toBe('dave');
      const after = (await laptop.req('GET', '/sessions')).body as unknown as {
        userAgent: string;
      }[];
      expect(after.map((s) => s.userAgent)).toEqual(['laptop']);

      expect(await mw.revokeUserSessions('carol')).toBe(1);
      expect((await laptop.req('GET', '/me')).body.userId).toBeNull();
      expect(await mw.listUserSessions('carol')).toEqual([]);
    });

    it('logouts stick: a slow request that started before logout does not write the session back', async () => {
      const mw = make();
      const { url, gates } = await startApp(mw);
      const b = new Browser(url);
      await b.req('POST', '/login?user=erin');
      const sid = b.sid!;
      const cookie = b.cookie;
      gates.slowEntered = gate();
      gates.slowRelease = gate();
      const slowBrowser = new Browser(url);
      slowBrowser.cookie = cookie;
      const slow = slowBrowser.req('POST', '/slow'); // loads the session, then waits
      await gates.slowEntered.wait;
      expect((await b.req('POST', '/logout')).status).toBe(200);
      gates.slowRelease.open(); // now it modifies the session and ends: express-session saves it
      expect((await slow).status).toBe(200);

      expect(mw.stats().blockedWrites).toBeGreaterThanOrEqual(1);
      expect(await mw.store.read(sid)).toBeNull();
      const again = new Browser(url);
      again.cookie = cookie;
      expect((await again.req('GET', '/me')).body).toEqual({ userId: null, count: 0 });
      expect(await mw.listUserSessions('erin')).toEqual([]);
    });

    it('logouts stick when the index refresh is due too (the marking write is also XX)', async () => {
      const mw = make({ ttl: '30s', activityResolution: '1s' });
      const { url, gates } = await startApp(mw);
      const redis = ctx.client();
      const b = new Browser(url);
      await b.req('POST', '/login?user=gail');
      const sid = b.sid!;
      await waitUntil(async () => (await redis.exists(mw.store.keys.indexMark(sid))) === 0, {
        timeoutMs: 5_000,
        what: 'index mark expiry',
      });
      gates.slowEntered = gate();
      gates.slowRelease = gate();
      const slowBrowser = new Browser(url);
      slowBrowser.cookie = b.cookie;
      const slow = slowBrowser.req('POST', '/slow');
      await gates.slowEntered.wait;
      expect((await b.req('POST', '/logout')).status).toBe(200);
      gates.slowRelease.open();
      expect((await slow).status).toBe(200);

      expect(mw.stats().blockedWrites).toBe(1);
      expect(await redis.exists(mw.store.keys.session(sid), mw.store.keys.indexMark(sid))).toBe(0);
      expect(await mw.listUserSessions('gail')).toEqual([]);
    });

    it('control: bare express-session + connect-redis 8.1 does resurrect the session in the same race', async () => {
      const redis = ctx.client();
      const prefix = uniquePrefix();
      const app = express();
      app.use(
        session({
          store: new RedisStore({ client: redis, prefix }),
          secret: SECRET,
          resave: false,
          saveUninitialized: false,
        }),
      );
      const entered = gate();
      const release = gate();
      app.post('/login', (req, res) => {
        (req.session as { user?: string }).user = 'x';
        res.json({});
      });
      app.post('/slow', async (req, res) => {
        entered.open();
        await release.wait;
        (req.session as { count?: number }).count = 99;
        res.json({});
      });
      app.post('/logout', (req, res) => req.session.destroy(() => res.json({})));
      const server = app.listen(0, '127.0.0.1');
      await new Promise<void>((r) => server.once('listening', () => r()));
      try {
        const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        const b = new Browser(url, 'connect.sid');
        await b.req('POST', '/login');
        const sid = b.sid!;
        const slow = new Browser(url, 'connect.sid');
        slow.cookie = b.cookie;
        const pending = slow.req('POST', '/slow');
        await entered.wait;
        await b.req('POST', '/logout');
        release.open();
        await pending;
        expect(await redis.exists(`${prefix}${sid}`)).toBe(1); // logged out, yet alive again
      } finally {
        server.closeAllConnections();
        server.close();
      }
    });

    it('cookie.expires = Invalid Date: written with the default ttl, never PX NaN', async () => {
      const mw = make({ ttl: '1h' });
      const redis = ctx.client();
      const sid = 'invalid-date-session-0002';
      const cookie = { expires: new Date('not a date'), originalMaxAge: null };
      await mw.store.write(sid, { cookie } as unknown as SessionData);
      const pttl = await redis.pttl(mw.store.keys.session(sid));
      expect(pttl).toBeGreaterThan(3_590_000);
      expect(pttl).toBeLessThanOrEqual(3_600_000);
      await mw.store.refresh(sid, { cookie } as unknown as SessionData);
      expect(await redis.pttl(mw.store.keys.session(sid))).toBeGreaterThan(3_590_000);
      expect(mw.stats().error).toBe(0);
    });

    it('corrupt or foreign data under a session key gives a fresh session, not a 500', async () => {
      const mw = make({ logger: capturingLogger() });
      const { url } = await startApp(mw);
      const redis = ctx.client();
      for (const poison of [
        (k: string) => redis.set(k, 'not json{'),
        (k: string) => redis.set(k, '{"no":"cookie"}'),
        (k: string) => redis.set(k, '[1,2]'),
        async (k: string) => {
          await redis.del(k);
          await redis.hset(k, 'a', '1');
        },
      ]) {
        const b = new Browser(url);
        await b.req('POST', '/login?user=frank');
        await poison(mw.store.keys.session(b.sid!));
        const me = await b.req('GET', '/me');
        expect(me.status).toBe(200);
        expect(me.body.userId).toBeNull();
        const next = await b.req('POST', '/count');
        expect(next.status).toBe(200);
        expect(next.body.count).toBe(1);
      }
      // each poisoned key is read twice (GET /me, then POST /count still carries the old cookie).
      // The login set the index mark on this instance, so the loads are GETs, and a key of another
      // type answers WRONGTYPE and is counted too (an MGET would have read it as absent).
      expect(mw.stats().corrupt).toBe(8);
    });

    it('ids/length/all/clear see every session on every master and respect keyPrefix', async () => {
      const redis = ctx.client({ keyPrefix: 'app:' });
      const mw = createSessionMiddleware({
        redis,
        secret: SECRET,
        prefix: uniquePrefix(),
        production: false,
      });
      const { url } = await startApp(mw);
      const browsers = Array.from({ length: 24 }, () => new Browser(url));
      for (const [i, b] of browsers.entries()) await b.req('POST', `/login?user=u${i % 3}`);
      await browsers[0]!.req('POST', '/logout'); // leaves a tombstone, which is not a session
      const expected = browsers
        .slice(1)
        .map((b) => b.sid!)
        .sort();

      const ids = await new Promise<string[]>((res, rej) =>
        mw.store.ids((e, v) => (e ? rej(e) : res(v!))),
      );
      expect(ids.sort()).toEqual(expected);
      const len = await new Promise<number>((res, rej) =>
        mw.store.length((e, v) => (e ? rej(e) : res(v!))),
      );
      expect(len).toBe(23);
      const all = await mw.store.allSessions();
      expect(all.map((s) => s.id).sort()).toEqual(expected);
      expect(all.every((s) => s.auth?.userId?.startsWith('u'))).toBe(true);

      if (ctx.name === 'cluster') {
        // the point of the exercise: the keys really are spread over several masters
        const masters = await ctx.cluster!.masters();
        const withKeys = await Promise.all(
          masters.map(async (m) => Number(await m.cli('DBSIZE')) > 0),
        );
        expect(withKeys.filter(Boolean).length).toBeGreaterThan(1);
      }
      const unrelated = ctx.client();
      await unrelated.set('app:other:key', 'keep me');
      await new Promise<void>((res, rej) => mw.store.clear((e) => (e ? rej(e) : res())));
      expect(await mw.store.sessionIds()).toEqual([]);
      expect(await mw.listUserSessions('u1')).toEqual([]);
      expect(await unrelated.get('app:other:key')).toBe('keep me');
      expect((await browsers[2]!.req('GET', '/me')).body.userId).toBeNull();
    });
  },
  ['standalone', 'cluster'],
);
