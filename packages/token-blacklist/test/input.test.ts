import { randomUUID } from 'node:crypto';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenBlacklist, type TokenBlacklist, TokenInputError } from '../src/index.js';
import { signToken } from './helpers.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const fakeJwt = (payload: unknown) => `${b64({ alg: 'HS256' })}.${b64(payload)}.c2ln`;

describe('untrusted input', () => {
  let server: RedisServer;
  let redis: Redis;
  let blacklist: TokenBlacklist;

  beforeAll(async () => {
    server = await startRedis();
    redis = new Redis(server.url);
    blacklist = createTokenBlacklist({ redis, prefix: `i${randomUUID().slice(0, 6)}:` });
  });
  afterAll(async () => {
    await blacklist?.close();
    redis?.disconnect();
    await server?.stop();
  });

  const bad: [string, unknown, string][] = [
    ['empty string', '', 'malformed_token'],
    ['garbage', 'not a jwt', 'malformed_token'],
    ['two segments', 'a.b', 'malformed_token'],
    ['five segments (JWE)', 'a.b.c.d.e', 'malformed_token'],
    ['payload not base64url', 'eyJhbGciOiJIUzI1NiJ9.@@@.sig', 'malformed_token'],
    [
      'payload not JSON',
      `${b64({})}.${Buffer.from('nope').toString('base64url')}.x`,
      'malformed_token',
    ],
    ['payload is an array', fakeJwt([1, 2]), 'malformed_token'],
    ['payload is a number', fakeJwt(42), 'malformed_token'],
    ['huge token', `${'a'.repeat(9000)}.${'b'.repeat(9000)}.c`, 'token_too_large'],
    ['numeric jti', fakeJwt({ jti: 123, exp: 9e9 }), 'invalid_jti'],
    ['empty jti', fakeJwt({ jti: '', exp: 9e9 }), 'invalid_jti'],
    ['object jti', fakeJwt({ jti: { $gt: '' }, exp: 9e9 }), 'invalid_jti'],
    ['very long jti', fakeJwt({ jti: 'x'.repeat(2000), exp: 9e9 }), 'invalid_jti'],
    ['numeric sub', fakeJwt({ jti: 'a', sub: 7, exp: 9e9 }), 'invalid_sub'],
    ['string exp', fakeJwt({ jti: 'a', exp: '9999999999' }), 'invalid_exp'],
    ['negative exp', fakeJwt({ jti: 'a', exp: -1 }), 'invalid_exp'],
    ['absurd exp', fakeJwt({ jti: 'a', exp: 1e300 }), 'invalid_exp'],
    ['string iat', fakeJwt({ jti: 'a', exp: 9e9, iat: 'yesterday' }), 'invalid_iat'],
    ['null', null, 'invalid_input'],
    ['number', 12345, 'invalid_input'],
    ['array', ['a', 'b'], 'invalid_input'],
    ['boolean', true, 'invalid_input'],
    ['claims with NaN exp', { jti: 'a', exp: Number.NaN }, 'invalid_exp'],
    [
      'claims with Infinity iat',
      { jti: 'a', exp: 9e9, iat: Number.POSITIVE_INFINITY },
      'invalid_iat',
    ],
  ];

  it.each(bad)(
    '%s → TokenInputError(%s) from isRevoked and revoke, never a crash',
    async (_name, input, code) => {
      for (const call of [
        () => blacklist.isRevoked(input as never),
        () => blacklist.revoke(input as never),
      ]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TokenInputError);
        expect((error as TokenInputError).reason).toBe(code);
        expect((error as TokenInputError).code).toBe('E_BLACKLIST_INPUT');
      }
    },
  );

  it('a token without exp cannot be revoked individually (its revocation could never expire)', async () => {
    const error = await blacklist
      .revoke(fakeJwt({ jti: 'no-exp', sub: 'u' }))
      .catch((e: unknown) => e);
    expect((error as TokenInputError).reason).toBe('missing_exp');
    // ...but it can still be checked, and revokeAllForUser covers it
    expect(await blacklist.isRevoked(fakeJwt({ jti: 'no-exp', sub: 'u' }))).toBe(false);
    await blacklist.revokeAllForUser('u');
    expect(await blacklist.isRevoked(fakeJwt({ jti: 'no-exp', sub: 'u' }))).toBe(true);
  });

  it('claims without jti cannot be revoked (no stable id); the raw token can', async () => {
    const token = await signToken({ jti: null });
    const error = await blacklist.revoke({ sub: 'x', exp: 9e9 }).catch((e: unknown) => e);
    expect((error as TokenInputError).reason).toBe('missing_token_id');
    expect((await blacklist.revoke(token)).revoked).toBe(true);
  });

  it('ids that could widen a pattern or break a hash tag are encoded (or hashed), and never collide', async () => {
    const nasty = ['a}b', '{x}', '*', 'a:b*', 'with space', '\u0000', '\ud800', 'é'];
    const ids = new Set<string>();
    for (const jti of nasty) {
      const result = await blacklist.revoke({ jti, exp: Math.floor(Date.now() / 1000) + 60 });
      expect(result.revoked).toBe(true);
      expect(result.id).toMatch(/^j:/);
      expect(result.id).not.toMatch(/[{}*?[\]\s]/);
      expect(result.id.includes('\u0000')).toBe(false);
      ids.add(result.id);
      expect(await blacklist.isRevoked({ jti })).toBe(true);
    }
    expect(ids.size).toBe(nasty.length);
    // a readable jti equal to another one's hash form cannot collide (':' vs '#')
    expect(await blacklist.isRevoked({ jti: 'j#anything' })).toBe(false);
    const long = await blacklist.revoke({
      jti: 'y'.repeat(200),
      exp: Math.floor(Date.now() / 1000) + 60,
    });
    expect(long.id).toMatch(/^j#[A-Za-z0-9_-]{43}$/);
    const subs = await blacklist.revokeAllForUser('}{*');
    expect(subs.revoked && subs.userId).toBe('s:%7D%7B%2A');
  });

  it('revokeAllForUser rejects bad subjects and times', async () => {
    for (const sub of ['', 5, null, 'x'.repeat(2000)]) {
      await expect(blacklist.revokeAllForUser(sub as never)).rejects.toMatchObject({
        reason: 'invalid_sub',
      });
    }
    for (const at of [Number.NaN, -1, 'now', new Date('invalid')]) {
      await expect(blacklist.revokeAllForUser('u', at as never)).rejects.toMatchObject({
        reason: 'invalid_time',
      });
    }
  });

  it('a garbage message on the channel is ignored', async () => {
    const mirrored = createTokenBlacklist({
      redis,
      prefix: `g${randomUUID().slice(0, 6)}:`,
      mirror: { heartbeat: '200ms' },
    });
    try {
      expect(await mirrored.ready('10s')).toBe(true);
      const channel = `${mirrored.tokenKey('x').split('t:{')[0] as string}events`;
      for (const message of [
        'not json',
        '[]',
        'null',
        '{"k":"t","i":5,"v":"x"}',
        '{"k":"u","i":"s:x","v":1}',
      ]) {
        await redis.publish(channel, message);
      }
      const token = await signToken();
      expect(await mirrored.check(token)).toMatchObject({ revoked: false, source: 'mirror' });
    } finally {
      await mirrored.close();
    }
  });
});
