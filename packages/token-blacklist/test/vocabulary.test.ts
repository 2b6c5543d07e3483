import type { ToolkitEvent } from '@redis-toolkit/connection';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createTokenBlacklist,
  type DecodedJwtLike,
  expressJwtIsRevoked,
  type IssuanceGuardOptions,
  type NextFunction,
  type RejectRevokedOptions,
  type RevocationChecker,
  type RevocationResponse,
  rejectRevoked,
  requireCanIssue,
  TokenBlacklistConfigError,
} from '../src/index.js';

// Memory-only (no redis): the shared vocabulary needs no server.
describe('shared vocabulary of the blacklist', () => {
  it('rejectRevoked and requireCanIssue refuse an unknown option, naming the nearest known one', async () => {
    const blacklist = createTokenBlacklist();
    const refusal = (field: string, message: RegExp) =>
      expect.objectContaining({
        code: 'E_BLACKLIST_CONFIG',
        field,
        message: expect.stringMatching(message),
      });
    expect(() => rejectRevoked(blacklist, { getClaim: () => undefined } as never)).toThrow(
      refusal(
        'getClaim',
        /^rejectRevoked: unknown option `getClaim` \(did you mean `getClaims`\?\)/,
      ),
    );
    expect(() => blacklist.requireCanIssue({ mesage: 'x' } as never)).toThrow(
      refusal('mesage', /^requireCanIssue: unknown option `mesage` \(did you mean `message`\?\)/),
    );
    expect(() => requireCanIssue(blacklist, { mesage: 'x' } as never)).toThrow(
      TokenBlacklistConfigError,
    );
    // the known ones are accepted
    expect(typeof rejectRevoked(blacklist, { getClaims: () => undefined })).toBe('function');
    expect(typeof requireCanIssue(blacklist, { message: 'later' })).toBe('function');
    await blacklist.close();
  });

  it('revoke and check emit events in the shared shape; stats() sums them', async () => {
    const blacklist = createTokenBlacklist();
    const seen: ToolkitEvent[] = [];
    const off = blacklist.events.on((e) => seen.push(e));
    const exp = Math.floor(Date.now() / 1000) + 60;
    await blacklist.revoke({ jti: 'j1', exp });
    expect((await blacklist.check({ jti: 'j1', exp })).revoked).toBe(true);
    expect((await blacklist.check({ jti: 'j2', exp })).revoked).toBe(false);
    off();
    expect(seen.map((e) => `${e.package}:${e.type}:${e.operation}:${e.count}`)).toEqual([
      'blacklist:revocation:revoke:1',
      'blacklist:hit:check:1',
      'blacklist:miss:check:1',
    ]);
    expect(new Set(seen.map((e) => e.name))).toEqual(new Set(['blacklist:']));
    expect(blacklist.stats()).toMatchObject({ revocation: 1, hit: 1, miss: 1, redis: 'absent' });
    await blacklist.close();
  });

  it('types of the Express helpers', () => {
    expectTypeOf(rejectRevoked).parameter(0).toEqualTypeOf<RevocationChecker>();
    expectTypeOf(rejectRevoked).parameter(1).toEqualTypeOf<RejectRevokedOptions | undefined>();
    expectTypeOf(rejectRevoked).returns.returns.toEqualTypeOf<Promise<void>>();
    expectTypeOf(requireCanIssue).parameter(1).toEqualTypeOf<IssuanceGuardOptions | undefined>();
    expectTypeOf(requireCanIssue).returns.toEqualTypeOf<
      (req: unknown, res: RevocationResponse, next: NextFunction) => void
    >();
    expectTypeOf(expressJwtIsRevoked).returns.toEqualTypeOf<
      (req: unknown, token: DecodedJwtLike | undefined) => Promise<boolean>
    >();
    // a TokenBlacklist is what the helpers take
    expectTypeOf(createTokenBlacklist).returns.toMatchTypeOf<RevocationChecker>();
  });
});
