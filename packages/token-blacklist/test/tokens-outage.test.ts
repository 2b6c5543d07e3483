import {
  describeEachTopology,
  type RedisServer,
  type TopologyContext,
  waitUntil,
} from '@redis-toolkit/testing';
import { expect, it } from 'vitest';
import { createOneTimeTokens, createRefreshTokens, TokensUnavailableError } from '../src/index.js';
import { uniquePrefix } from './tokens-helpers.js';

// A hung server (SIGSTOP of every master): one command timeout, then every call is refused at
// once with E_TOKENS_UNAVAILABLE — a token checked in one instance's memory could be used twice.

async function serversOf(ctx: TopologyContext): Promise<RedisServer[]> {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.masters();
  return [await (ctx.sentinel as NonNullable<TopologyContext['sentinel']>).master()];
}

async function timed<T>(work: () => Promise<T>): Promise<[unknown, number]> {
  const started = performance.now();
  const value = await work().catch((e: unknown) => e);
  return [value, performance.now() - started];
}

describeEachTopology(
  'tokens when Redis hangs (SIGSTOP)',
  (ctx) => {
    it('one-time and refresh tokens are refused (503 + retryAfterSeconds), fast after the first timeout; they work again after', async () => {
      const redis = ctx.client({ maxRetriesPerRequest: 1 });
      const prefix = uniquePrefix();
      const once = createOneTimeTokens({
        redis,
        prefix,
        commandTimeout: '300ms',
        purposes: { 'email-verify': { ttl: '24h' } },
      });
      const refresh = createRefreshTokens({ redis, prefix, commandTimeout: '300ms' });
      const memoryToo = createRefreshTokens({
        redis,
        prefix,
        commandTimeout: '300ms',
        issueDuringOutage: true,
      });
      const token = await once.issue('email-verify', 'a');
      const family = await refresh.issue('a');
      const servers = await serversOf(ctx);
      for (const s of servers) s.pause();
      let duringOutage: string;
      try {
        const [first, firstMs] = await timed(() => once.consume('email-verify', token));
        expect(first).toBeInstanceOf(TokensUnavailableError);
        expect(firstMs).toBeLessThan(3000); // one 300 ms timeout, slack for a loaded machine
        for (const call of <(() => Promise<unknown>)[]>[
          () => once.consume('email-verify', token),
          () => once.issue('email-verify', 'b'),
          () => once.verify('email-verify', token),
          () => once.revokeAll('email-verify', 'a'),
          () => refresh.rotate(family.token),
          () => refresh.issue('a'),
          () => refresh.revokeFamily(family.familyId),
          () => memoryToo.rotate(family.token), // a family in Redis cannot be checked from memory
        ]) {
          const [error, ms] = await timed(call);
          expect(error).toBeInstanceOf(TokensUnavailableError);
          expect(error).toMatchObject({ code: 'E_TOKENS_UNAVAILABLE', status: 503 });
          expect((error as TokensUnavailableError).retryAfterSeconds).toBeGreaterThanOrEqual(1);
          expect(ms).toBeLessThan(50);
        }
        // issueDuringOutage: new families live in this instance's memory meanwhile
        const local = await memoryToo.issue('c');
        duringOutage = (await memoryToo.rotate(local.token)).token;
        expect(memoryToo.stats()).toMatchObject({ fallback: 1, memoryEntries: 1, redis: 'down' });
        expect(once.stats().error).toBeGreaterThanOrEqual(5);
      } finally {
        for (const s of servers) s.resume();
      }
      await waitUntil(
        async () => (await once.consume('email-verify', token).catch(() => 'down')) !== 'down',
        { timeoutMs: 20_000, what: 'Redis answering again' },
      );
      // the token was consumed by the waitUntil above, exactly once
      expect(await once.consume('email-verify', token)).toBeNull();
      expect((await refresh.rotate(family.token)).subject).toBe('a');
      expect((await memoryToo.rotate(duringOutage)).subject).toBe('c');
    }, 60_000);
  },
  ['standalone', 'cluster', 'sentinel'],
);

// kill + restart on standalone (a Cluster node restarted empty needs the cluster re-formed)
describeEachTopology(
  'tokens when Redis is killed',
  (ctx) => {
    it('a killed server: refused at once, then back after restart (data gone: tokens are unknown)', async () => {
      const server = ctx.standalone as RedisServer;
      const redis = ctx.client({ maxRetriesPerRequest: 1 });
      const once = createOneTimeTokens({
        redis,
        prefix: uniquePrefix(),
        commandTimeout: '300ms',
        purposes: { invite: { ttl: '7d' } },
      });
      const token = await once.issue('invite', 'x');
      await server.kill();
      await expect(once.consume('invite', token)).rejects.toBeInstanceOf(TokensUnavailableError);
      const [again, ms] = await timed(() => once.consume('invite', token));
      expect(again).toBeInstanceOf(TokensUnavailableError);
      expect(ms).toBeLessThan(50);
      await server.restart();
      await waitUntil(
        async () => (await once.consume('invite', token).catch(() => 'down')) === null,
        { timeoutMs: 20_000, what: 'Redis back (empty)' },
      );
    }, 60_000);
  },
  ['standalone'],
);
