import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import express, { type NextFunction, type Request, type Response } from 'express';
import { Redis } from 'ioredis';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerToken, createTokenBlacklist, type TokenBlacklist } from '../src/index.js';
import { secret, signToken } from './helpers.js';

/** The app a user would write: verify the JWT (jose), then reject revoked tokens. */
function appWith(blacklist: TokenBlacklist) {
  const app = express();
  app.use(async (req: Request & { auth?: unknown }, res: Response, next: NextFunction) => {
    const token = bearerToken(req);
    if (!token) return res.status(401).json({ error: { code: 'unauthenticated' } });
    try {
      req.auth = (await jwtVerify(token, secret)).payload;
      next();
    } catch {
      res.status(401).json({ error: { code: 'token_invalid' } });
    }
  });
  app.use(blacklist.rejectRevoked());
  app.get('/me', (req: Request & { auth?: { sub?: string } }, res: Response) => {
    res.json({ sub: req.auth?.sub });
  });
  app.post('/logout', async (req: Request & { auth?: unknown }, res: Response) => {
    await blacklist.revoke(bearerToken(req) as string);
    res.status(204).end();
  });
  return app;
}

/** A second app that checks the raw header token, to exercise getClaims and bad input. */
function rawApp(blacklist: TokenBlacklist) {
  const app = express();
  app.use(blacklist.rejectRevoked({ getClaims: (req) => bearerToken(req) }));
  app.get('/', (_req, res) => {
    res.json({ ok: true });
  });
  return app;
}

async function listen(app: express.Express): Promise<{ url: string; server: Server }> {
  return new Promise((resolve) => {
    const server = app.listen(0, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server });
    });
  });
}

describe('Express middleware over real HTTP', () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let blacklist: TokenBlacklist;
  let denying: TokenBlacklist;
  const servers: Server[] = [];
  let url: string;
  let rawUrl: string;
  let denyUrl: string;

  beforeAll(async () => {
    redisServer = await startRedis();
    redis = new Redis(redisServer.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    blacklist = createTokenBlacklist({ redis, prefix: 'http:' });
    denying = createTokenBlacklist({
      redis,
      prefix: 'http:',
      onRedisError: 'deny',
      commandTimeout: '300ms',
    });
    for (const [app, set] of [
      [appWith(blacklist), (u: string) => (url = u)],
      [rawApp(blacklist), (u: string) => (rawUrl = u)],
      [rawApp(denying), (u: string) => (denyUrl = u)],
    ] as const) {
      const { url: u, server } = await listen(app);
      servers.push(server);
      set(u);
    }
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    await blacklist?.close();
    await denying?.close();
    redis?.disconnect();
    await redisServer?.stop();
  });

  const get = (base: string, token?: string, path = '/me') =>
    fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('a logged-out token gets 401 E_BLACKLIST_REVOKED; other tokens still work', async () => {
    const token = await signToken({ sub: 'dana' });
    const other = await signToken({ sub: 'dana' });
    expect((await get(url, token)).status).toBe(200);
    expect(
      (
        await fetch(`${url}/logout`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        })
      ).status,
    ).toBe(204);
    const res = await get(url, token);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('invalid_token');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('E_BLACKLIST_REVOKED');
    expect(body.error.message).toMatch(/revoked/);
    expect((await get(url, other)).status).toBe(200);
  });

  it('log out everywhere: revokeAllForUser rejects every older token of that user only', async () => {
    const t1 = await signToken({ sub: 'erin', iatOffset: -5 });
    const t2 = await signToken({ sub: 'erin', iatOffset: -3 });
    const frank = await signToken({ sub: 'frank', iatOffset: -5 });
    await blacklist.revokeAllForUser('erin');
    expect((await get(url, t1)).status).toBe(401);
    expect((await get(url, t2)).status).toBe(401);
    expect((await get(url, frank)).status).toBe(200);
    expect((await get(url, await signToken({ sub: 'erin', iatOffset: 2 }))).status).toBe(200);
  });

  it('unreadable tokens get 401 E_BLACKLIST_INPUT, no token passes through, nothing crashes', async () => {
    expect((await get(rawUrl, undefined, '/')).status).toBe(200);
    for (const bad of ['garbage', 'a.b.c', `${'x'.repeat(5000)}.${'y'.repeat(5000)}.z`]) {
      const res = await get(rawUrl, bad, '/');
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'E_BLACKLIST_INPUT',
      );
    }
  });

  it("'deny' answers 503 E_BLACKLIST_UNAVAILABLE while Redis is down", async () => {
    const token = await signToken();
    expect((await get(denyUrl, token, '/')).status).toBe(200);
    await redisServer.kill();
    try {
      await waitUntil(() => redis.status !== 'ready', { timeoutMs: 10_000, what: 'disconnect' });
      const res = await get(denyUrl, token, '/');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'E_BLACKLIST_UNAVAILABLE',
      );
    } finally {
      await redisServer.restart();
    }
    await waitUntil(async () => (await get(denyUrl, token, '/')).status === 200, {
      timeoutMs: 15_000,
      what: 'recovery',
    });
  });

  it('express-jwt adapter: isRevoked(req, token) signature', async () => {
    const isRevoked = blacklist.expressJwtIsRevoked();
    const token = await signToken({ jti: 'ejwt-1' });
    const { payload } = await jwtVerify(token, secret);
    expect(await isRevoked({}, { payload })).toBe(false);
    await blacklist.revoke(token);
    expect(await isRevoked({}, { payload })).toBe(true);
    expect(await isRevoked({}, { payload: 'a string payload' })).toBe(true);
    expect(await isRevoked({}, { payload: { jti: 42 } })).toBe(true);
    expect(await isRevoked({}, undefined)).toBe(true);
  });
});
