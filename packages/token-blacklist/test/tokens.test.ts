import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { describe, expect, it } from 'vitest';
import {
  createOneTimeTokens,
  createRefreshTokens,
  type IssueLimit,
  TokenInvalidError,
  TokenReusedError,
  TokensLimitedError,
} from '../src/index.js';
import { dumpEverything, uniquePrefix } from './tokens-helpers.js';

const purposes = {
  'email-verify': { ttl: '24h' },
  'password-reset': { ttl: '1h', single: true },
  invite: { ttl: '7d' },
  short: { ttl: '300ms' },
} as const;

describeEachTopology(
  'one-time and refresh tokens on Redis',
  (ctx) => {
    const pair = (extra: { issueLimit?: IssueLimit | false } = {}) => {
      const prefix = uniquePrefix();
      const a = createOneTimeTokens({ redis: ctx.client(), prefix, purposes, ...extra });
      const b = createOneTimeTokens({ redis: ctx.client(), prefix, purposes, ...extra });
      return { a, b, prefix };
    };

    describe('one-time tokens', () => {
      it('consume is single-use under concurrency: 50 consumes from two clients, exactly one wins', async () => {
        const { a, b } = pair({ issueLimit: false });
        for (let round = 0; round < 5; round++) {
          const token = await a.issue('email-verify', `user-${round}`, { round });
          const results = await Promise.all(
            Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).consume('email-verify', token)),
          );
          const winners = results.filter((r) => r !== null);
          expect(winners).toEqual([{ subject: `user-${round}`, data: { round } }]);
          expect(await a.verify('email-verify', token)).toBeNull();
        }
        expect(a.stats().hit + b.stats().hit).toBe(5);
        expect(a.stats().miss + b.stats().miss).toBe(5 * 49 + 5);
      });

      it('verify peeks without consuming; a token is bound to its purpose; garbage is null', async () => {
        const { a, b } = pair();
        const token = await a.issue('invite', 'org-7:alice', { role: 'admin' });
        expect(await b.verify('invite', token)).toEqual({
          subject: 'org-7:alice',
          data: { role: 'admin' },
        });
        expect(await b.verify('invite', token)).not.toBeNull();
        expect(await b.consume('email-verify', token)).toBeNull();
        expect(await b.consume('invite', 'not a token')).toBeNull();
        // one character changed (a fixed 'A' was no change for the 1 in 16 tokens ending in 'A')
        const tampered = `${token.slice(0, -1)}${token.endsWith('A') ? 'E' : 'A'}`;
        expect(tampered).not.toBe(token);
        expect(await b.consume('invite', tampered)).toBeNull();
        expect(await b.consume('invite', token)).toEqual({
          subject: 'org-7:alice',
          data: { role: 'admin' },
        });
      });

      it('tokens expire with their purpose TTL', async () => {
        const { a, b } = pair();
        const token = await a.issue('short', 'u1');
        expect(await b.verify('short', token)).not.toBeNull();
        await waitUntil(async () => (await b.verify('short', token)) === null, {
          timeoutMs: 10_000,
          what: 'token expired',
        });
        expect(await b.consume('short', token)).toBeNull();
      });

      it("a new 'password-reset' token voids the older ones of that subject, not others'", async () => {
        const { a, b } = pair();
        const first = await a.issue('password-reset', 'bob');
        const second = await b.issue('password-reset', 'bob');
        const other = await a.issue('password-reset', 'carol');
        const verify = await a.issue('email-verify', 'bob');
        const third = await a.issue('password-reset', 'bob');
        expect(await b.consume('password-reset', first)).toBeNull();
        expect(await b.consume('password-reset', second)).toBeNull();
        expect(await b.consume('password-reset', third)).toMatchObject({ subject: 'bob' });
        expect(await b.consume('password-reset', other)).toMatchObject({ subject: 'carol' });
        expect(await b.consume('email-verify', verify)).toMatchObject({ subject: 'bob' });
      });

      it('revokeAll voids every token of one subject and purpose', async () => {
        const { a, b } = pair();
        const tokens = [await a.issue('invite', 'dan'), await a.issue('invite', 'dan')];
        const keep = await a.issue('invite', 'erin');
        expect(await b.revokeAll('invite', 'dan')).toBe(2);
        for (const t of tokens) expect(await a.consume('invite', t)).toBeNull();
        expect(await a.consume('invite', keep)).not.toBeNull();
      });

      it('issuance limit per subject: E_TOKENS_LIMITED with retryAfterSeconds, shared by instances', async () => {
        const { a, b } = pair({ issueLimit: { max: 5, per: '1h' } });
        for (let i = 0; i < 5; i++) await (i % 2 ? a : b).issue('email-verify', 'frank');
        const error = await a.issue('email-verify', 'frank').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TokensLimitedError);
        expect(error).toMatchObject({ code: 'E_TOKENS_LIMITED', status: 429 });
        expect((error as TokensLimitedError).retryAfterSeconds).toBeGreaterThan(3500);
        expect((error as TokensLimitedError).retryAfterSeconds).toBeLessThanOrEqual(3600);
        await expect(b.issue('email-verify', 'frank')).rejects.toBeInstanceOf(TokensLimitedError);
        expect(await a.issue('email-verify', 'gina')).toEqual(expect.any(String));
        expect(await a.issue('invite', 'frank')).toEqual(expect.any(String));
        expect(a.stats().block).toBe(1);
      });

      it('Redis holds only hashes: neither the token nor its subject appears in any key or value', async () => {
        const { a, b } = pair();
        const subject = 'hidden.subject@example.com';
        const tokens = [
          await a.issue('email-verify', subject),
          await a.issue('password-reset', subject),
          await a.issue('invite', subject, { note: 'x' }),
        ];
        const refresh = createRefreshTokens({ redis: ctx.client(), prefix: uniquePrefix() });
        const { token: r1 } = await refresh.issue(subject);
        const { token: r2 } = await refresh.rotate(r1);
        const dump = await dumpEverything(ctx.client());
        expect(dump).toContain('hidden.subject'); // the record (value) names its subject
        for (const t of [...tokens, r1, r2]) {
          expect(dump).not.toContain(t);
          expect(dump).not.toContain(t.split('.')[1]);
        }
        const keys = dump.split('\n').map((line) => line.split('\t')[0]);
        expect(keys.some((k) => k?.includes('hidden'))).toBe(false);
        expect(await b.consume('invite', tokens[2] as string)).toEqual({
          subject,
          data: { note: 'x' },
        });
      });
    });

    it('an ioredis keyPrefix is respected by every key, also those built inside the scripts', async () => {
      const keyPrefix = `kp${Math.random().toString(36).slice(2, 6)}:`;
      const t = createOneTimeTokens({ redis: ctx.client({ keyPrefix }), prefix: 'app:', purposes });
      const r = createRefreshTokens({ redis: ctx.client({ keyPrefix }), prefix: 'app:' });
      const old = await t.issue('password-reset', 'kim');
      const token = await t.issue('password-reset', 'kim'); // voids `old` inside the script
      const other = await t.issue('invite', 'kim');
      expect(await t.verify('password-reset', token)).toMatchObject({ subject: 'kim' });
      expect(await t.consume('password-reset', old)).toBeNull();
      await r.rotate((await r.issue('kim')).token);
      const dump = await dumpEverything(ctx.client());
      const keys = dump
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split('\t')[0] as string);
      const ours = keys.filter((k) => k.includes('app:tokens:'));
      // set + counter + token (password-reset), set + counter + token (invite), family + index
      expect(ours).toHaveLength(8);
      for (const k of ours) expect(k.startsWith(`${keyPrefix}app:tokens:`)).toBe(true);
      expect(await t.consume('password-reset', token)).toMatchObject({ subject: 'kim' });
      expect(await t.revokeAll('invite', 'kim')).toBe(1);
      expect(await t.consume('invite', other)).toBeNull();
    });

    describe('refresh tokens', () => {
      const refreshPair = () => {
        const prefix = uniquePrefix();
        return {
          prefix,
          a: createRefreshTokens({ redis: ctx.client(), prefix, ttl: '30d' }),
          b: createRefreshTokens({ redis: ctx.client(), prefix, ttl: '30d' }),
        };
      };

      it('rotation: each token works once, across instances; the family id stays', async () => {
        const { a, b, prefix } = refreshPair();
        const issued = await a.issue('42', { device: 'phone' });
        let token = issued.token;
        for (let i = 0; i < 5; i++) {
          const next = await (i % 2 ? a : b).rotate(token);
          expect(next).toMatchObject({
            familyId: issued.familyId,
            subject: '42',
            data: { device: 'phone' },
          });
          expect(next.token).not.toBe(token);
          token = next.token;
        }
        // one hash per family, hash-tagged on its id, alive for the ttl after the last rotation
        const key = `${prefix}tokens:refresh:{${issued.familyId}}`;
        const ttl = Number(await ctx.client().pttl(key));
        expect(ttl).toBeGreaterThan(30 * 86_400_000 - 60_000);
        expect(await ctx.client().hlen(key)).toBe(3 + 5); // cur, rec, st + one `u:<hash>` per rotation
      });

      it('reuse of a rotated-away token revokes the whole family (E_TOKENS_REUSED)', async () => {
        const { a, b } = refreshPair();
        const { token: t1, familyId } = await a.issue('7');
        const other = await a.issue('7');
        const { token: t2 } = await a.rotate(t1);
        const reuse = await b.rotate(t1).catch((e: unknown) => e);
        expect(reuse).toBeInstanceOf(TokenReusedError);
        expect(reuse).toMatchObject({
          code: 'E_TOKENS_REUSED',
          subject: '7',
          familyId,
          status: 401,
        });
        const after = await a.rotate(t2).catch((e: unknown) => e);
        expect(after).toBeInstanceOf(TokenInvalidError);
        expect(after).toMatchObject({ code: 'E_TOKENS_INVALID', reason: 'unknown' });
        await expect(a.rotate(t1)).rejects.toBeInstanceOf(TokenInvalidError);
        // another login of the same subject is untouched
        expect((await b.rotate(other.token)).subject).toBe('7');
        expect(b.stats().revocation).toBe(1);
      });

      it('concurrent rotations of one token: exactly one succeeds', async () => {
        const { a, b } = refreshPair();
        const { token } = await a.issue('9');
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).rotate(token)),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      });

      it('revokeFamily, revoke(token) and revokeAllForSubject', async () => {
        const { a, b } = refreshPair();
        const one = await a.issue('u1');
        const two = await a.issue('u1');
        const three = await a.issue('u1');
        const keep = await a.issue('u2');
        expect(await b.revokeFamily(one.familyId)).toBe(true);
        expect(await b.revokeFamily(one.familyId)).toBe(false);
        await expect(a.rotate(one.token)).rejects.toBeInstanceOf(TokenInvalidError);
        const rotated = await a.rotate(two.token);
        expect(await b.revokeAllForSubject('u1')).toBe(2);
        await expect(a.rotate(rotated.token)).rejects.toBeInstanceOf(TokenInvalidError);
        await expect(a.rotate(three.token)).rejects.toBeInstanceOf(TokenInvalidError);
        expect(await b.revoke(keep.token)).toBe(true);
        await expect(a.rotate(keep.token)).rejects.toBeInstanceOf(TokenInvalidError);
        await expect(a.rotate('garbage')).rejects.toMatchObject({ reason: 'malformed' });
      });

      it('refused while the blacklist cannot vouch for revocation state', async () => {
        let open = true;
        const r = createRefreshTokens({
          redis: ctx.client(),
          prefix: uniquePrefix(),
          blacklist: { canIssue: () => open },
        });
        const { token } = await r.issue('1');
        open = false;
        await expect(r.issue('1')).rejects.toMatchObject({
          code: 'E_TOKENS_UNAVAILABLE',
          status: 503,
        });
        await expect(r.rotate(token)).rejects.toMatchObject({ code: 'E_TOKENS_UNAVAILABLE' });
        open = true;
        expect((await r.rotate(token)).subject).toBe('1');
      });
    });
  },
  ['standalone', 'cluster', 'sentinel'],
);
