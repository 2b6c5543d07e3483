import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileOutbox, type Outbox } from '@redis-toolkit/connection';
import {
  describeEachTopology,
  type RedisServer,
  type TopologyContext,
  waitUntil,
} from '@redis-toolkit/testing';
import { afterAll, afterEach, expect, it } from 'vitest';
import {
  BlacklistUnavailableError,
  createTokenBlacklist,
  type TokenBlacklist,
  type TokenBlacklistOptions,
} from '../src/index.js';
import { signToken } from './helpers.js';

// A hung server (SIGSTOP) on every topology: the first call costs one command timeout, then every
// instance on that client answers from its policy at once; revocations go to the outbox.

const dirs: string[] = [];
const outbox = (): Outbox => {
  const directory = mkdtempSync(join(tmpdir(), 'blacklist-outage-'));
  dirs.push(directory);
  return createFileOutbox({ directory });
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every server that must hang for the whole topology to hang. */
async function serversOf(ctx: TopologyContext): Promise<RedisServer[]> {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.masters();
  return [await (ctx.sentinel as NonNullable<TopologyContext['sentinel']>).master()];
}

async function timed<T>(work: () => Promise<T>): Promise<[T | unknown, number]> {
  const started = performance.now();
  const value = await work().catch((e: unknown) => e);
  return [value, performance.now() - started];
}

describeEachTopology('token-blacklist when Redis hangs (SIGSTOP)', (ctx) => {
  const open: TokenBlacklist[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
  });
  const make = (options: Partial<TokenBlacklistOptions> = {}) => {
    const b = createTokenBlacklist({
      redis: ctx.client({ maxRetriesPerRequest: 1 }),
      prefix: `h${randomUUID().slice(0, 6)}:`,
      commandTimeout: '300ms',
      ...options,
    });
    open.push(b);
    return b;
  };

  it("'memory' + outbox: one timeout, then < 50 ms answers; a revocation is outboxed, replayed, seen by a fresh instance", async () => {
    const box = outbox();
    const prefix = `m${randomUUID().slice(0, 6)}:`;
    const a = make({ prefix, outbox: box, replayInterval: '500ms' });
    const known = await signToken();
    expect(await a.revoke(known)).toMatchObject({ persisted: true });
    const unknown = await signToken();
    expect(await a.check(unknown)).toMatchObject({ revoked: false, source: 'redis' });
    expect(a.canIssue()).toBe(true);
    const during = await signToken();
    const servers = await serversOf(ctx);
    for (const s of servers) s.pause();
    try {
      const [first, firstMs] = await timed(() => a.check(unknown));
      expect(first).toMatchObject({ revoked: false, source: 'fallback' });
      expect(firstMs).toBeLessThan(3000); // one 300 ms timeout, with slack for a loaded machine
      for (let i = 0; i < 5; i++) {
        const [later, laterMs] = await timed(() => a.check(unknown));
        expect(later).toMatchObject({ revoked: false, source: 'fallback' });
        expect(laterMs).toBeLessThan(50);
      }
      expect(await a.check(known)).toEqual({ revoked: true, reason: 'token', source: 'local' });
      const [r, revokeMs] = await timed(() => a.revoke(during));
      expect(r).toMatchObject({ revoked: true, persisted: false, queued: true });
      expect(revokeMs).toBeLessThan(1000); // an fsync, no Redis
      expect(await box.size()).toBe(1);
      expect(await a.isRevoked(during)).toBe(true);
      expect(a.canIssue()).toBe(false);
      expect(() => a.assertCanIssue()).toThrow(BlacklistUnavailableError);
      expect(a.stats()).toMatchObject({ redis: 'down' });
    } finally {
      for (const s of servers) s.resume();
    }
    await waitUntil(async () => (await box.size()) === 0, { timeoutMs: 30_000, what: 'replay' });
    await waitUntil(() => a.canIssue(), { timeoutMs: 10_000, what: 'issuance allowed again' });
    const fresh = make({ prefix });
    await waitUntil(async () => (await fresh.check(during)).source === 'redis', {
      timeoutMs: 20_000,
      what: 'fresh instance answered by Redis',
    });
    expect(await fresh.check(during)).toMatchObject({ revoked: true, reason: 'token' });
    expect(a.stats().replayed).toBe(1);
    expect(a.stats().fallback).toBeGreaterThanOrEqual(7);
  }, 60_000);

  it('counted: every revocation that answered "revoked" while Redis hung is in Redis afterwards', async () => {
    const box = outbox();
    const prefix = `c${randomUUID().slice(0, 6)}:`;
    const a = make({ prefix, outbox: box, replayInterval: '500ms' });
    expect(await a.revoke(await signToken())).toMatchObject({ persisted: true });
    const tokens = await Promise.all(Array.from({ length: 40 }, () => signToken()));
    const accepted: string[] = [];
    const servers = await serversOf(ctx);
    // short: on Sentinel a pause past down-after-milliseconds (1 s here) becomes a failover
    for (const s of servers) s.pause();
    try {
      for (const token of tokens) {
        if ((await a.revoke(token)).revoked) accepted.push(token);
      }
    } finally {
      for (const s of servers) s.resume();
    }
    expect(accepted).toHaveLength(tokens.length);
    await waitUntil(async () => (await box.size()) === 0, { timeoutMs: 30_000, what: 'replay' });
    const fresh = make({ prefix });
    const missing: string[] = [];
    for (const token of accepted) {
      const r = await fresh.check(token);
      if (!(r.revoked && r.source === 'redis')) missing.push(token);
    }
    expect(missing).toEqual([]);
  }, 60_000);

  it("'deny' without outbox: checks and revokes reject with E_BLACKLIST_UNAVAILABLE, fast after the first timeout", async () => {
    const d = make({ onRedisError: 'deny' });
    const known = await signToken();
    await d.revoke(known);
    const unknown = await signToken();
    expect(await d.isRevoked(unknown)).toBe(false);
    const servers = await serversOf(ctx);
    for (const s of servers) s.pause();
    try {
      const [error, firstMs] = await timed(() => d.isRevoked(unknown));
      expect(error).toBeInstanceOf(BlacklistUnavailableError);
      expect(error).toMatchObject({ status: 503, code: 'E_BLACKLIST_UNAVAILABLE' });
      expect(firstMs).toBeLessThan(3000);
      const [again, againMs] = await timed(() => d.isRevoked(unknown));
      expect(again).toBeInstanceOf(BlacklistUnavailableError);
      expect(againMs).toBeLessThan(50);
      // no outbox: the caller must not be told "revoked" (it answers 503), but this process honours it
      const [revokeError, revokeMs] = await timed(() => d.revoke(unknown));
      expect(revokeError).toBeInstanceOf(BlacklistUnavailableError);
      expect(revokeMs).toBeLessThan(50);
      expect(await d.isRevoked(known)).toBe(true);
      expect(d.stats().error).toBeGreaterThanOrEqual(3);
    } finally {
      for (const s of servers) s.resume();
    }
    await waitUntil(
      async () => {
        try {
          return (await d.check(await signToken())).source === 'redis';
        } catch {
          return false;
        }
      },
      { timeoutMs: 30_000, what: 'checks answered by Redis again' },
    );
  }, 60_000);

  it('a mirror drops out of sync while Redis hangs and resyncs after resume', async () => {
    const prefix = `s${randomUUID().slice(0, 6)}:`;
    const writer = make({ prefix, outbox: outbox(), replayInterval: '500ms' });
    const m = make({ prefix, mirror: { heartbeat: '200ms' } });
    const syncs: boolean[] = [];
    m.onSync((v) => syncs.push(v));
    expect(await m.ready('15s')).toBe(true);
    expect(m.canIssue()).toBe(true);
    const servers = await serversOf(ctx);
    for (const s of servers) s.pause();
    let during = '';
    try {
      await waitUntil(() => !m.inSync, { timeoutMs: 15_000, what: 'mirror out of sync' });
      expect(m.canIssue()).toBe(false);
      during = await signToken();
      expect(await writer.revoke(during)).toMatchObject({ persisted: false, queued: true });
    } finally {
      for (const s of servers) s.resume();
    }
    await waitUntil(() => m.inSync, { timeoutMs: 30_000, what: 'mirror back in sync' });
    await waitUntil(async () => (await m.check(during)).revoked, {
      timeoutMs: 20_000,
      what: 'mirror learns the replayed revocation',
    });
    // A 200 ms heartbeat makes the mirror distrust itself after one late PONG on a loaded machine,
    // so the answer comes from the mirror once its heartbeat is current again, not necessarily now.
    const fresh = await signToken();
    await waitUntil(async () => (await m.check(fresh)).source === 'mirror', {
      timeoutMs: 10_000,
      what: 'an unrevoked token answered from the mirror',
    });
    expect(await m.check(fresh)).toMatchObject({ revoked: false });
    expect(syncs.slice(0, 3)).toEqual([true, false, true]);
  }, 60_000);
});

describeEachTopology(
  'token-blacklist when Redis is killed and restarts empty',
  (ctx) => {
    const open: TokenBlacklist[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });
    const make = (prefix: string, options: Partial<TokenBlacklistOptions> = {}) => {
      const b = createTokenBlacklist({
        redis: ctx.client({ maxRetriesPerRequest: 1 }),
        prefix,
        commandTimeout: '300ms',
        replayInterval: '500ms',
        ...options,
      });
      open.push(b);
      return b;
    };

    it('revocations from before (written back) and during the outage (outbox) are in Redis again', async () => {
      const prefix = `k${randomUUID().slice(0, 6)}:`;
      const box = outbox();
      const a = make(prefix, { outbox: box });
      const before = await signToken();
      expect(await a.revoke(before)).toMatchObject({ persisted: true });
      const servers = await serversOf(ctx);
      await Promise.all(servers.map((s) => s.kill()));
      await waitUntil(
        async () => {
          await a.check(await signToken());
          return a.stats().redis === 'down';
        },
        { timeoutMs: 15_000, what: 'outage' },
      );
      const during = await signToken();
      expect(await a.revoke(during)).toMatchObject({ persisted: false, queued: true });
      expect(a.canIssue()).toBe(false);
      await Promise.all(servers.map((s) => s.restart()));
      await waitUntil(async () => (await box.size()) === 0 && a.stats().reseeds >= 1, {
        timeoutMs: 40_000,
        what: 'replay and write-back',
      });
      await waitUntil(() => a.canIssue(), { timeoutMs: 20_000, what: 'issuance allowed again' });
      const fresh = make(prefix);
      for (const token of [before, during]) {
        await waitUntil(async () => (await fresh.check(token)).source === 'redis', {
          timeoutMs: 20_000,
          what: 'fresh instance answered by Redis',
        });
        expect(await fresh.check(token)).toMatchObject({ revoked: true, reason: 'token' });
      }
    }, 90_000);
  },
  ['standalone', 'cluster'],
);
