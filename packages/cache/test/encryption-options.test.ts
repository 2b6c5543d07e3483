import { randomBytes } from 'node:crypto';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  type Cache,
  CacheConfigError,
  createCache,
  type EncryptionOptions,
  type NamespaceOptions,
} from '../src/index.js';

const key = randomBytes(32);
const configError = (fn: () => unknown): CacheConfigError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof CacheConfigError) return error;
    throw error;
  }
  throw new Error('expected a CacheConfigError');
};
const withKeys = (keys: unknown) => () =>
  createCache({ encryption: { keys } as unknown as EncryptionOptions });

describe('encryption options', () => {
  it('a short, long or non-base64 key is a config error naming encryption.keys[i].key', () => {
    const short = configError(withKeys([{ id: 'a', key: randomBytes(16) }]));
    expect(short.field).toBe('encryption.keys[0].key');
    expect(short.message).toMatch(/expected 32 bytes \(AES-256\), got 16/);
    const b64 = configError(
      withKeys([
        { id: 'a', key },
        { id: 'b', key: randomBytes(24).toString('base64') },
      ]),
    );
    expect(b64.field).toBe('encryption.keys[1].key');
    expect(configError(withKeys([{ id: 'a', key: 'not base64!' }])).field).toBe(
      'encryption.keys[0].key',
    );
    expect(configError(withKeys([{ id: 'a', key: 42 }])).field).toBe('encryption.keys[0].key');
    expect(CacheConfigError.code).toBe('E_CACHE_CONFIG');
  });

  it('ids: safe ASCII, at most 16 characters, unique', () => {
    expect(configError(withKeys([{ id: 'a:b', key }])).field).toBe('encryption.keys[0].id');
    expect(configError(withKeys([{ id: 'x'.repeat(17), key }])).field).toBe(
      'encryption.keys[0].id',
    );
    const dup = configError(
      withKeys([
        { id: 'k', key },
        { id: 'k', key: randomBytes(32) },
      ]),
    );
    expect(dup.field).toBe('encryption.keys[1].id');
    expect(dup.message).toMatch(/duplicate key id "k"/);
  });

  it('empty key lists and unknown nested options are refused with the field named', () => {
    expect(configError(withKeys([])).field).toBe('encryption.keys');
    expect(
      configError(() =>
        createCache({ encryption: { keys: [{ id: 'a', key }], rotate: true } as never }),
      ).field,
    ).toBe('encryption.rotate');
    expect(configError(withKeys([{ id: 'a', key, kid: 'x' }])).field).toBe(
      'encryption.keys[0].kid',
    );
    const cache = createCache({ maxMemoryEntries: 10 });
    expect(
      configError(() => cache.namespace('p', { encryption: { keys: [{ id: 'a', key: 'AA==' }] } }))
        .field,
    ).toBe('encryption.keys[0].key');
    expect(configError(() => cache.namespace('p', { encrypt: {} } as never)).field).toBe(
      'namespace.encrypt',
    );
  });

  it('base64 and base64url text keys are accepted; memory-only caches run with it', async () => {
    const cache = createCache({
      encryption: { keys: [{ id: 'b64', key: key.toString('base64') }] },
    });
    const url = cache.namespace('u', {
      encryption: { keys: [{ id: 'url', key: key.toString('base64url') }] },
    });
    await url.set('x', { a: 1 });
    expect(await url.get('x')).toEqual({ a: 1 });
  });

  it('types', () => {
    expectTypeOf<Cache['namespace']>().parameters.toEqualTypeOf<
      [name: string, options?: NamespaceOptions]
    >();
    expectTypeOf<EncryptionOptions['keys'][0]['key']>().toEqualTypeOf<Buffer | string>();
  });
});
