import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createSessionMiddleware, parseDuration, SessionConfigError } from '../src/index.js';
import { capturingLogger, SECRET } from './helpers.js';

// Never connects (lazyConnect, no command is sent): these tests only check startup validation.
const redis = new Redis({ lazyConnect: true, port: 1 });
afterAll(() => redis.disconnect());

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SessionConfigError);
    return (error as SessionConfigError).code;
  }
  return undefined;
};

describe('startup validation', () => {
  it('a missing secret is a typed error in every environment', () => {
    for (const secret of [undefined, '', [], ['']]) {
      expect(
        codeOf(() =>
          createSessionMiddleware({
            redis,
            secret: secret as unknown as string,
            production: false,
          }),
        ),
      ).toBe('E_SESSION_SECRET_MISSING');
    }
  });

  it('a short secret is refused in production (naming the array slot) and warned about in development', () => {
    expect(
      codeOf(() => createSessionMiddleware({ redis, secret: 'short', production: true })),
    ).toBe('E_SESSION_SECRET_TOO_SHORT');
    let caught: unknown;
    try {
      createSessionMiddleware({ redis, secret: [SECRET, 'short'], production: true });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SessionConfigError);
    expect((caught as SessionConfigError).field).toBe('secret[1]');
    const logger = capturingLogger();
    expect(() =>
      createSessionMiddleware({ redis, secret: 'short', production: false, logger }),
    ).not.toThrow();
    expect(logger.lines.some((l) => l.level === 'warn' && /shorter than 32/.test(l.msg))).toBe(
      true,
    );
  });

  it('production is read from NODE_ENV by default', () => {
    const before = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      expect(codeOf(() => createSessionMiddleware({ redis, secret: 'short' }))).toBe(
        'E_SESSION_SECRET_TOO_SHORT',
      );
    } finally {
      process.env.NODE_ENV = before;
    }
  });

  it('bad options name the field', () => {
    const bad = (o: object) => {
      try {
        createSessionMiddleware({ redis, secret: SECRET, production: false, ...o });
      } catch (error) {
        return (error as SessionConfigError).field;
      }
      return undefined;
    };
    expect(bad({ ttl: 'forever' })).toBe('ttl');
    expect(bad({ ttl: 0 })).toBe('ttl');
    expect(bad({ prefix: 'a{b}:' })).toBe('prefix');
    expect(bad({ onRedisError: 'allow' })).toBe('onRedisError');
    expect(bad({ name: 'bad name;' })).toBe('name');
    expect(bad({ redis: {} })).toBe('redis');
    expect(bad({ activityResolution: '500ms' })).toBe('activityResolution');
    expect(bad({ ttl: '1h', activityResolution: '31m' })).toBe('activityResolution');
    expect(bad({ ttl: '1h', activityResolution: '30m' })).toBeUndefined();
    expect(bad({ activityResolution: 0 })).toBeUndefined();
  });

  it('an unknown option is refused, naming the nearest known one (also inside cookie and durability)', () => {
    const refused = (o: object) => {
      try {
        createSessionMiddleware({ redis, secret: SECRET, production: false, ...o });
      } catch (error) {
        expect(error).toBeInstanceOf(SessionConfigError);
        return error as SessionConfigError;
      }
      throw new Error('accepted');
    };
    const tll = refused({ tll: '1h' });
    expect(tll.field).toBe('tll');
    expect(tll.code).toBe('E_SESSION_INVALID_OPTION');
    expect(tll.message).toMatch(/did you mean `ttl`/);
    // removed in 0.2, not aliased
    expect(refused({ memoryMaxSessions: 5 }).message).toMatch(/use `maxMemoryEntries`/);
    expect(refused({ commandTimeoutMs: 5 }).message).toMatch(/use `commandTimeout`/);
    expect(refused({ retryAfterSeconds: 5 }).field).toBe('retryAfterSeconds');
    expect(refused({ onRedisError: 'fail' }).field).toBe('onRedisError');
    expect(refused({ cookie: { maxage: 5 } }).message).toMatch(/did you mean `cookie.maxAge`/);
    expect(refused({ durability: { replica: 1 } }).message).toMatch(
      /did you mean `durability.replicas`/,
    );
    expect(refused({ durability: { replicas: -1 } }).field).toBe('durability.replicas');
    expect(refused({ commandTimeout: 'soon' }).field).toBe('commandTimeout');
  });

  it('parses durations', () => {
    expect(parseDuration('7d', 'ttl', '1d')).toBe(7 * 86_400_000);
    expect(parseDuration(90, 'ttl', '1d')).toBe(90_000);
    expect(parseDuration('1500ms', 'ttl', '1d')).toBe(1500);
    expect(parseDuration(undefined, 'ttl', '12h')).toBe(43_200_000);
  });
});
