import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  createOneTimeTokens,
  createRefreshTokens,
  errors,
  type OneTimeTokens,
  type RefreshTokens,
  type RefreshTokensOptions,
  type TokenGrant,
  TokenInvalidError,
  TokenReusedError,
  type TokensConfigError,
  TokensInputError,
  TokensLimitedError,
} from '../src/index.js';

// No `redis`: memory-only, a first-class mode (this process only).

describe('tokens, memory-only', () => {
  const purposes = {
    'password-reset': { ttl: '1h', single: true },
    quick: { ttl: '50ms' },
  } as const;

  it('one-time tokens: single use, single purposes, limit, expiry, revokeAll', async () => {
    const t = createOneTimeTokens({ purposes, issueLimit: { max: 3, per: '1h' } });
    const first = await t.issue('password-reset', 'ann', { ip: '1.2.3.4' });
    expect(await t.verify('password-reset', first)).toEqual({
      subject: 'ann',
      data: { ip: '1.2.3.4' },
    });
    const second = await t.issue('password-reset', 'ann');
    expect(await t.consume('password-reset', first)).toBeNull();
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.consume('password-reset', second)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    await t.issue('password-reset', 'ann');
    await expect(t.issue('password-reset', 'ann')).rejects.toBeInstanceOf(TokensLimitedError);
    const quick = await t.issue('quick', 'bo');
    await new Promise((r) => setTimeout(r, 120));
    expect(await t.consume('quick', quick)).toBeNull();
    const a = await t.issue('quick', 'cy');
    expect(await t.revokeAll('quick', 'cy')).toBe(1);
    expect(await t.consume('quick', a)).toBeNull();
    expect(t.stats()).toMatchObject({ redis: 'absent', block: 1 });
    const seen: string[] = [];
    const off = t.events.on((e) => seen.push(`${e.package}:${e.name}:${e.type}:${e.operation}`));
    await t.consume('quick', await t.issue('quick', 'dee'));
    off();
    await t.issue('quick', 'dee');
    expect(seen).toEqual(['tokens:quick:allow:issue', 'tokens:quick:hit:consume']);
  });

  it('refresh tokens: rotation, reuse detection, revokeAllForSubject', async () => {
    const r = createRefreshTokens({ ttl: '1h' });
    const { token, familyId } = await r.issue('u', { d: 1 });
    const next = await r.rotate(token);
    expect(next).toMatchObject({ familyId, subject: 'u', data: { d: 1 } });
    await expect(r.rotate(token)).rejects.toBeInstanceOf(TokenReusedError);
    await expect(r.rotate(next.token)).rejects.toBeInstanceOf(TokenInvalidError);
    const x = await r.issue('v');
    const y = await r.issue('v');
    expect(await r.revokeAllForSubject('v')).toBe(2);
    await expect(r.rotate(x.token)).rejects.toBeInstanceOf(TokenInvalidError);
    await expect(r.rotate(y.token)).rejects.toBeInstanceOf(TokenInvalidError);
    expect(r.stats()).toMatchObject({ redis: 'absent', revocation: 3 });
  });

  it('unknown or bad options are refused, naming the option', () => {
    const bad = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return error as TokensConfigError;
      }
      throw new Error('no error');
    };
    expect(bad(() => createOneTimeTokens({ purposes, isueLimit: false } as never))).toMatchObject({
      code: 'E_TOKENS_CONFIG',
      field: 'isueLimit',
      message: expect.stringContaining('did you mean `issueLimit`'),
    });
    expect(
      bad(() => createOneTimeTokens({ purposes: { a: { ttl: '1h', singel: true } } } as never)),
    ).toMatchObject({
      field: 'purposes.a.singel',
      message: expect.stringContaining('purposes.a.single'),
    });
    expect(bad(() => createOneTimeTokens({ purposes: { a: {} } } as never)).field).toBe(
      'purposes.a.ttl',
    );
    expect(
      bad(() => createOneTimeTokens({ purposes: { a: { ttl: 'soon' } } } as never)).field,
    ).toBe('purposes.a.ttl');
    expect(bad(() => createOneTimeTokens({ purposes: {} })).field).toBe('purposes');
    expect(bad(() => createOneTimeTokens({ purposes: { refresh: { ttl: 1 } } })).field).toBe(
      'purposes.refresh',
    );
    expect(
      bad(() => createOneTimeTokens({ purposes, issueLimit: { max: 5 } } as never)).field,
    ).toBe('issueLimit.per');
    expect(
      bad(() => createOneTimeTokens({ purposes, onRedisError: 'memory' } as never)).field,
    ).toBe('onRedisError');
    expect(bad(() => createRefreshTokens({ tll: '1d' } as never))).toMatchObject({
      field: 'tll',
      message: expect.stringContaining('did you mean `ttl`'),
    });
    expect(bad(() => createRefreshTokens({ blacklist: {} } as never)).field).toBe('blacklist');
    expect(bad(() => createRefreshTokens({ durability: { replica: 1 } } as never)).field).toBe(
      'durability.replica',
    );
    expect(bad(() => createRefreshTokens({ ttl: 0 })).field).toBe('ttl');
  });

  it('bad subjects and unknown purposes are typed 400s', async () => {
    const t = createOneTimeTokens({ purposes });
    await expect(t.issue('password-reset', '')).rejects.toBeInstanceOf(TokensInputError);
    await expect(t.issue('nope' as never, 'a')).rejects.toMatchObject({
      code: 'E_TOKENS_INPUT',
      status: 400,
    });
    const r = createRefreshTokens();
    await expect(r.revokeFamily('x')).rejects.toBeInstanceOf(TokensInputError);
    expect(await r.revoke('garbage')).toBe(false);
  });

  it('public types', () => {
    const t = createOneTimeTokens({ purposes: { a: { ttl: '1h' }, b: { ttl: 60 } } });
    expectTypeOf(t).toEqualTypeOf<OneTimeTokens<'a' | 'b'>>();
    expectTypeOf(t.issue).parameter(0).toEqualTypeOf<'a' | 'b'>();
    expectTypeOf(t.consume).returns.resolves.toEqualTypeOf<TokenGrant | null>();
    expectTypeOf(createRefreshTokens)
      .parameter(0)
      .toEqualTypeOf<RefreshTokensOptions | undefined>();
    expectTypeOf(createRefreshTokens).returns.toEqualTypeOf<RefreshTokens>();
    expectTypeOf<RefreshTokensOptions['onRedisError']>().toEqualTypeOf<'deny' | undefined>();
    expect(Object.keys(errors)).toEqual(
      expect.arrayContaining([
        'TokensLimitedError',
        'TokensUnavailableError',
        'TokenReusedError',
        'TokensConfigError',
      ]),
    );
    expect(TokensLimitedError.code).toBe('E_TOKENS_LIMITED');
  });
});
