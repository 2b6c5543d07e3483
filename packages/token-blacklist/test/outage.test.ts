import { randomUUID } from 'node:crypto';
import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createTokenBlacklist,
  RevocationUnavailableError,
  type TokenBlacklist,
  type TokenBlacklistOptions,
} from '../src/index.js';
import { signToken } from './helpers.js';

describe('when Redis is down', () => {
  let server: RedisServer;
  const clients: Redis[] = [];
  const blacklists: TokenBlacklist[] = [];
  const prefix = `o${randomUUID().slice(0, 6)}:`;

  const client = () => {
    const redis = new Redis(server.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    clients.push(redis);
    return redis;
  };
  const make = (options: Partial<TokenBlacklistOptions> = {}) => {
    const blacklist = createTokenBlacklist({ redis: client(), prefix, ...options });
    blacklists.push(blacklist);
    return blacklist;
  };

  beforeEach(async () => {
    server = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(blacklists.splice(0).map((b) => b.close()));
    for (const c of clients.splice(0)) c.disconnect();
    await server.stop();
  });

  it("'local': a revocation is honoured at once, queued, and replayed when Redis returns", async () => {
    const a = make();
    const replays: number[] = [];
    a.on('replay', ({ count }) => replays.push(count));
    const token = await signToken();
    await a.isRevoked(token); // connected
    await server.kill();
    await waitUntil(() => a.stats().pending === 0 && clients[0]?.status !== 'ready', {
      timeoutMs: 10_000,
      what: 'client to notice',
    });
    const result = await a.revoke(token);
    expect(result).toMatchObject({ revoked: true, persisted: false, queued: true });
    expect(await a.check(token)).toEqual({ revoked: true, reason: 'token', source: 'local' });
    expect(await a.check(await signToken())).toMatchObject({ revoked: false, source: 'fallback' });
    expect(a.stats()).toMatchObject({ pending: 1, queued: 1 });

    await server.restart();
    await waitUntil(() => a.stats().pending === 0, { timeoutMs: 15_000, what: 'replay' });
    expect(replays).toEqual([1]);
    const fresh = make();
    expect(await fresh.check(token)).toMatchObject({ revoked: true, source: 'redis' });
  });

  it("'deny': an undecidable check throws RevocationUnavailableError (status 503), known revocations still answer", async () => {
    const d = make({ onRedisError: 'deny', commandTimeoutMs: 300 });
    const revoked = await signToken();
    await d.revoke(revoked);
    const unknown = await signToken();
    expect(await d.isRevoked(unknown)).toBe(false);
    await server.kill();
    await waitUntil(() => clients[0]?.status !== 'ready', {
      timeoutMs: 10_000,
      what: 'disconnect',
    });
    const error = await d.isRevoked(unknown).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RevocationUnavailableError);
    expect(error).toMatchObject({ status: 503, code: 'revocation_unavailable' });
    expect(await d.isRevoked(revoked)).toBe(true);
    expect(d.stats().unavailable).toBe(1);
  });

  it('a hung server (SIGSTOP) is a failure after commandTimeoutMs, not a wait forever', async () => {
    const d = make({ onRedisError: 'deny', commandTimeoutMs: 300 });
    const token = await signToken();
    expect(await d.isRevoked(token)).toBe(false);
    server.pause();
    try {
      const started = performance.now();
      await expect(d.isRevoked(token)).rejects.toBeInstanceOf(RevocationUnavailableError);
      expect(performance.now() - started).toBeLessThan(3000);
      // a revocation during the hang is honoured locally and queued
      const r = await d.revoke(token);
      expect(r).toMatchObject({ revoked: true, persisted: false, queued: true });
      expect(await d.isRevoked(token)).toBe(true);
    } finally {
      server.resume();
    }
    await waitUntil(() => d.stats().pending === 0, {
      timeoutMs: 15_000,
      what: 'replay after hang',
    });
  });

  it('the replay queue is bounded and deduped by key (the longest TTL wins)', async () => {
    const a = make({ maxPending: 2 });
    await a.isRevoked(await signToken());
    await server.kill();
    await waitUntil(() => clients[0]?.status !== 'ready', {
      timeoutMs: 10_000,
      what: 'disconnect',
    });
    const now = Math.floor(Date.now() / 1000);
    await a.revoke({ jti: 'same', exp: now + 60 });
    await a.revoke({ jti: 'same', exp: now + 600 });
    await a.revoke({ jti: 'other', exp: now + 60 });
    const dropped = await a.revoke({ jti: 'third', exp: now + 60 });
    expect(dropped).toMatchObject({ revoked: true, persisted: false, queued: false });
    expect(a.stats()).toMatchObject({ pending: 2, dropped: 1 });
    expect(await a.isRevoked({ jti: 'third' })).toBe(true); // still honoured here

    await server.restart();
    await waitUntil(() => a.stats().pending === 0, { timeoutMs: 15_000, what: 'replay' });
    const probe = client();
    const pttl = await probe.pttl(a.tokenKey('j:same'));
    expect(pttl).toBeGreaterThan(500_000);
  });

  it('a mirror goes out of sync on disconnect and answers via Redis until it has resynced', async () => {
    const writer = make();
    const m = make({ mirror: { heartbeatMs: 200 } });
    const syncs: boolean[] = [];
    m.on('sync', (v) => syncs.push(v));
    expect(await m.ready(10_000)).toBe(true);
    const token = await signToken();
    expect(await m.check(token)).toMatchObject({ source: 'mirror' });
    await server.kill();
    await waitUntil(() => !m.inSync, { timeoutMs: 10_000, what: 'mirror out of sync' });
    expect(await m.check(token)).toMatchObject({ revoked: false, source: 'fallback' });
    await server.restart();
    // the writer revokes as soon as it can; the mirror must learn it either via pub/sub or its resync
    await waitUntil(
      async () => (await writer.revoke(token)).revoked && writer.stats().pending === 0,
      {
        timeoutMs: 15_000,
        what: 'writer reconnected',
      },
    );
    await waitUntil(async () => (await m.check(token)).revoked, {
      timeoutMs: 15_000,
      what: 'mirror learns',
    });
    await waitUntil(() => m.inSync, { timeoutMs: 15_000, what: 'mirror back in sync' });
    expect(syncs.slice(0, 3)).toEqual([true, false, true]);
  });
});
