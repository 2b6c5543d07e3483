import { randomUUID } from 'node:crypto';
import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createTokenBlacklist, type TokenBlacklist } from '../src/index.js';
import { signToken } from './helpers.js';

describeEachTopology(
  'token blacklist',
  (ctx) => {
    const open: TokenBlacklist[] = [];
    const make = (options: Partial<Parameters<typeof createTokenBlacklist>[0]> = {}) => {
      const blacklist = createTokenBlacklist({
        redis: ctx.client(),
        prefix: `t${randomUUID().slice(0, 8)}:`,
        ...options,
      });
      open.push(blacklist);
      return blacklist;
    };
    afterEach(async () => {
      await Promise.all(open.splice(0).map((b) => b.close()));
    });

    it('revokes a token by jti, with a TTL that ends at exp + tolerance', async () => {
      const redis = ctx.client();
      const blacklist = make({ redis, clockTolerance: 10 });
      const token = await signToken({ expiresIn: 120, jti: 'abc-123' });
      const other = await signToken({ expiresIn: 120 });
      expect(await blacklist.isRevoked(token)).toBe(false);
      const result = await blacklist.revoke(token);
      expect(result).toMatchObject({
        revoked: true,
        id: 'j:abc-123',
        persisted: true,
        queued: false,
      });
      expect(await blacklist.isRevoked(token)).toBe(true);
      expect(await blacklist.isRevoked(decodeJwt(token))).toBe(true);
      expect(await blacklist.isRevoked(other)).toBe(false);
      const pttl = await redis.pttl(blacklist.tokenKey('j:abc-123'));
      expect(pttl).toBeGreaterThan(100_000);
      expect(pttl).toBeLessThanOrEqual(131_000);
    });

    it('a second instance (no mirror) sees the revocation through Redis', async () => {
      const prefix = `s${randomUUID().slice(0, 8)}:`;
      const a = make({ prefix });
      const b = make({ prefix });
      const token = await signToken();
      await a.revoke(token);
      expect(await b.check(token)).toEqual({ revoked: true, reason: 'token', source: 'redis' });
      // A positive answer is remembered: revocations never go away before expiry.
      expect(await b.check(token)).toEqual({ revoked: true, reason: 'token', source: 'local' });
    });

    it('identifies a token without jti by its SHA-256 and never stores the raw token', async () => {
      const redis = ctx.client();
      const prefix = `h${randomUUID().slice(0, 8)}:`;
      const blacklist = make({ redis, prefix });
      const token = await signToken({ jti: null });
      const result = await blacklist.revoke(token);
      expect(result.revoked).toBe(true);
      expect(result.id).toMatch(/^t#[A-Za-z0-9_-]{43}$/);
      const fresh = make({ prefix });
      expect(await fresh.isRevoked(token)).toBe(true);
      expect(await fresh.isRevoked(await signToken({ jti: null, sub: 'someone-else' }))).toBe(
        false,
      );
      const key = blacklist.tokenKey(result.id);
      expect(await redis.get(key)).not.toContain(token.split('.')[1]);
      expect(key).not.toContain(token.split('.')[1]);
    });

    it('an already expired token is a no-op that says so', async () => {
      const redis = ctx.client();
      const blacklist = make({ redis, clockTolerance: 0 });
      const token = await signToken({ expiresIn: -5, jti: 'old' });
      expect(await blacklist.revoke(token)).toEqual({
        revoked: false,
        reason: 'expired',
        id: 'j:old',
      });
      expect(await redis.exists(blacklist.tokenKey('j:old'))).toBe(0);
    });

    it('revokeAllForUser revokes tokens issued before the cut-off only, and never moves it back', async () => {
      const redis = ctx.client();
      const prefix = `a${randomUUID().slice(0, 8)}:`;
      const blacklist = make({ redis, prefix, maxTokenLifetime: '1h' });
      const before = await signToken({ sub: 'alice', iatOffset: -10 });
      const otherUser = await signToken({ sub: 'bob', iatOffset: -10 });
      const result = await blacklist.revokeAllForUser('alice');
      expect(result).toMatchObject({ revoked: true, userId: 's:alice', persisted: true });
      const after = await signToken({ sub: 'alice', iatOffset: 2 });
      expect(await blacklist.check(before)).toMatchObject({ revoked: true, reason: 'user' });
      expect(await blacklist.isRevoked(after)).toBe(false);
      expect(await blacklist.isRevoked(otherUser)).toBe(false);
      // one key per user, TTL about the longest token life (+ tolerance)
      const pttl = await redis.pttl(blacklist.userKey('s:alice'));
      expect(pttl).toBeGreaterThan(3_500_000);
      expect(pttl).toBeLessThanOrEqual(3_630_000);
      // an older cut-off does not move it backwards
      const older = await blacklist.revokeAllForUser('alice', Date.now() - 60_000);
      expect(older.revoked && older.cutoff.getTime()).toBeGreaterThan(Date.now() - 30_000);
      expect(Number(await redis.get(blacklist.userKey('s:alice')))).toBeGreaterThan(
        Date.now() - 30_000,
      );
      // a fresh instance (nothing local) decides through Redis too
      expect(blacklist.userKey('s:x')).toBe(`${prefix}blacklist:u:{s:x}`);
      const fresh = make({ prefix });
      expect(await fresh.isRevoked(before)).toBe(true);
      expect(await fresh.isRevoked(after)).toBe(false);
      // a token without iat cannot prove it is newer than the cut-off
      expect(await fresh.isRevoked({ sub: 'alice', jti: 'x', exp: 9e9 })).toBe(true);
    });

    it('mirror: answers from memory while in sync, learns revocations over pub/sub', async () => {
      const prefix = `m${randomUUID().slice(0, 8)}:`;
      const writer = make({ prefix });
      const preexisting = await signToken();
      await writer.revoke(preexisting);
      await writer.revokeAllForUser('carol');
      const mirror = make({ prefix, mirror: { heartbeat: '200ms' } });
      expect(await mirror.ready('15s')).toBe(true);
      // loaded at start
      expect(await mirror.check(preexisting)).toMatchObject({ revoked: true, source: 'local' });
      expect(await mirror.check(await signToken({ sub: 'carol', iatOffset: -5 }))).toMatchObject({
        revoked: true,
        reason: 'user',
        source: 'local',
      });
      // negative answers come from the mirror, without Redis
      const live = await signToken();
      expect(await mirror.check(live)).toEqual({
        revoked: false,
        reason: undefined,
        source: 'mirror',
      });
      // a revocation on another instance arrives over pub/sub
      await writer.revoke(live);
      await waitUntil(async () => (await mirror.check(live)).revoked, {
        timeoutMs: 5000,
        what: 'revocation to reach the mirror',
      });
      expect(mirror.stats().redisChecks).toBe(0);
    });
  },
  ['standalone', 'cluster', 'sentinel'],
);

describe('options', () => {
  it('rejects bad options with a typed error naming the field', async () => {
    const { TokenBlacklistConfigError } = await import('../src/index.js');
    const cases: [unknown, string][] = [
      [{ redis: 42 }, 'redis'],
      [{ onRedisError: 'local' }, 'onRedisError'],
      [{ clockTolerance: -1 }, 'clockTolerance'],
      [{ maxTokenLifetime: '1 fortnight' }, 'maxTokenLifetime'],
      [{ mirror: { heartbeat: 0 } }, 'mirror.heartbeat'],
      [{ outbox: {} }, 'outbox'],
      [{ maxTokenLength: 0 }, 'maxTokenLength'],
    ];
    for (const [options, field] of cases) {
      const error = (() => {
        try {
          createTokenBlacklist(options as never);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(TokenBlacklistConfigError);
      expect(error).toMatchObject({ field, code: 'E_BLACKLIST_CONFIG' });
    }
    expect(TokenBlacklistConfigError.code).toBe('E_BLACKLIST_CONFIG');
  });

  it('an unknown option is refused, naming the nearest option', () => {
    expect(() => createTokenBlacklist({ maxLocalEntries: 5 } as never)).toThrow(
      /unknown option `maxLocalEntries` \(did you mean `maxMemoryEntries`\?\)/,
    );
    expect(() => createTokenBlacklist({ commandTimeoutMs: 300 } as never)).toThrow(
      /did you mean `commandTimeout`/,
    );
    expect(() => createTokenBlacklist({ mirror: { heartbeatMs: 200 } } as never)).toThrow(
      /unknown option `mirror.heartbeatMs` \(did you mean `mirror.heartbeat`\?\)/,
    );
  });
});

describe('ioredis keyPrefix', () => {
  it('is respected by keys, the index and the mirror snapshot', async () => {
    const { startRedis } = await import('@redis-toolkit/testing');
    const { Redis } = await import('ioredis');
    const server = await startRedis();
    const prefixed = new Redis(server.url, { keyPrefix: 'app1:' });
    const plain = new Redis(server.url);
    const writer = createTokenBlacklist({ redis: prefixed });
    const readerClient = new Redis(server.url, { keyPrefix: 'app1:' });
    const reader = createTokenBlacklist({ redis: readerClient, mirror: { heartbeat: '200ms' } });
    try {
      const token = await signToken({ jti: 'kp-1', sub: 'kp-user' });
      await writer.revoke(token);
      await writer.revokeAllForUser('kp-user');
      const keys = (await plain.keys('*')).sort();
      expect(keys).toEqual([
        'app1:blacklist:epoch',
        'app1:blacklist:index:t',
        'app1:blacklist:index:u',
        'app1:blacklist:t:{j:kp-1}',
        'app1:blacklist:u:{s:kp-user}',
      ]);
      expect(await reader.ready('10s')).toBe(true);
      expect(await reader.check(token)).toMatchObject({ revoked: true, source: 'local' });
      expect(reader.stats().redisChecks).toBe(0);
    } finally {
      await writer.close();
      await reader.close();
      for (const c of [prefixed, plain, readerClient]) c.disconnect();
      await server.stop();
    }
  });
});
