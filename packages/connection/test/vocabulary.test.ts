import { describe, expect, expectTypeOf, it } from 'vitest';
import * as connection from '../src/index.js';
import {
  type CreateRedisOptions,
  createFileOutbox,
  createRedis,
  defineRedisConfig,
  errors,
  nearest,
  OutboxConfigError,
  type RedisConfig,
  RedisConfigError,
  type RedisConfigInput,
  type RedisConnection,
  SHARED_OPTION_NAMES,
  ToolkitError,
} from '../src/index.js';

/** What an option refusal looks like: the class's code, the field, and the message. */
const refusal = (field: string, message: RegExp, code = 'E_REDIS_CONFIG') =>
  expect.objectContaining({ code, field, message: expect.stringMatching(message) });

// No server: every check here runs before a client exists (disabled configs never connect).
describe('the connection speaks the shared vocabulary', () => {
  it('defineRedisConfig refuses an unknown field, naming the nearest known one and never its value', () => {
    expect(() => defineRedisConfig({ hots: 'h', port: 1 } as never)).toThrow(
      refusal('hots', /did you mean `host`\?/),
    );
    expect(() => defineRedisConfig({ hots: 'h' } as never)).toThrow(RedisConfigError);
    // the value is never shown: a typo'd password field must not print the password
    expect(() => defineRedisConfig({ host: 'h', pasword: 'hunter2-secret' } as never)).toThrow(
      refusal('pasword', /^(?!.*hunter2-secret).*did you mean `password`\?/),
    );
    expect(() => defineRedisConfig({ host: 'h', tls: { caFiles: '/x' } } as never)).toThrow(
      refusal('tls.caFiles', /did you mean `tls.caFile`\?/),
    );
    // a validated config passes through again
    const config = defineRedisConfig({ host: 'h', port: 7000, keyPrefix: 'p:' });
    expect(defineRedisConfig(config)).toEqual(config);
  });

  it('the nearest known name also matches a camelCase tail written alone', () => {
    const cacheOptions = [
      ...SHARED_OPTION_NAMES,
      'maxMemoryBytes',
      'defaultTtl',
      'defaultGrace',
      'l1',
    ];
    expect(nearest('ttl', cacheOptions)).toBe('defaultTtl');
    expect(nearest('tll', cacheOptions)).toBe('defaultTtl'); // was `l1`
    expect(nearest('grace', cacheOptions)).toBe('defaultGrace');
    expect(nearest('timeout', cacheOptions)).toBe('commandTimeout');
    expect(nearest('maxEntries', cacheOptions)).toBe('maxMemoryEntries');
    expect(nearest('prefx', cacheOptions)).toBe('prefix');
    expect(nearest('tll', ['ttl', 'prefix'])).toBe('ttl');
    expect(nearest('zzz', cacheOptions)).toBeUndefined();
  });

  it('createRedis refuses an unknown option in its second argument', () => {
    expect(() => createRedis({ enabled: false }, { nmae: 'x' } as never)).toThrow(
      refusal('nmae', /did you mean `name`\?/),
    );
  });

  it('createFileOutbox refuses an unknown option and a missing directory', () => {
    const outbox = (options: object) => () => createFileOutbox(options as never);
    const code = 'E_REDIS_OUTBOX_CONFIG';
    expect(outbox({ directory: '/tmp/x', maxEntrys: 5 })).toThrow(
      refusal('maxEntrys', /did you mean `maxEntries`\?/, code),
    );
    expect(outbox({ directory: '/tmp/x', maxEntrys: 5 })).toThrow(OutboxConfigError);
    expect(outbox({ dir: '/tmp/x' })).toThrow(refusal('dir', /unknown option/, code));
    expect(outbox({})).toThrow(refusal('directory', /non-empty path/, code));
    expect(outbox({ directory: '/tmp/x', maxEntries: 0 })).toThrow(
      refusal('maxEntries', /whole number/, code),
    );
  });

  it('RedisConfigError is a ToolkitError: code on class and instance, field, cause; the errors map holds every error class', () => {
    const cause = new Error('inner');
    const e = new RedisConfigError('REDIS_PORT', 'x', 'a port 1-65535', { cause });
    expect(e).toBeInstanceOf(ToolkitError);
    expect(e.code).toBe(RedisConfigError.code);
    expect(e.code).toBe('E_REDIS_CONFIG');
    expect(e.field).toBe('REDIS_PORT');
    expect(e.cause).toBe(cause);
    expect(e.name).toBe('RedisConfigError');
    const exported = Object.entries(connection)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof ToolkitError)
      .map(([k]) => k)
      .sort();
    expect(Object.keys(errors).sort()).toEqual(exported);
    for (const [name, cls] of Object.entries(errors)) {
      expect(cls.code, name).toMatch(/^E_REDIS_[A-Z_]+$/);
    }
  });

  it('types of the factories', () => {
    expectTypeOf(createRedis).parameter(0).toEqualTypeOf<RedisConfigInput>();
    expectTypeOf(createRedis).parameter(1).toEqualTypeOf<CreateRedisOptions | undefined>();
    expectTypeOf(createRedis).returns.toEqualTypeOf<RedisConnection>();
    expectTypeOf(defineRedisConfig).parameter(0).toEqualTypeOf<RedisConfigInput>();
    expectTypeOf(defineRedisConfig).returns.toEqualTypeOf<RedisConfig>();
    expectTypeOf<RedisConfigError['code']>().toEqualTypeOf<'E_REDIS_CONFIG'>();
    expectTypeOf<RedisConfigError['field']>().toEqualTypeOf<string>();
    // @ts-expect-error unknown fields are refused at compile time too
    const typo = () => defineRedisConfig({ hots: 'h' });
    void typo;
  });
});
