import { refuseUnknownOptions } from '@redis-toolkit/connection';
import { CacheConfigError } from '../errors.js';
import { Codec, fingerprintOf } from './codec.js';

const ID = /^[A-Za-z0-9._-]{1,16}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

const makeError = (field: string, message: string): Error => new CacheConfigError(field, message);

function keyBytes(value: unknown, field: string): Buffer {
  let bytes: Buffer;
  if (Buffer.isBuffer(value))
    bytes = Buffer.from(value); // a copy: later changes by the caller do not count
  else if (typeof value === 'string') {
    if (!BASE64.test(value)) {
      throw new CacheConfigError(field, 'expected 32 bytes as a Buffer or base64 text');
    }
    bytes = Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
  } else throw new CacheConfigError(field, 'expected 32 bytes as a Buffer or base64 text');
  if (bytes.length !== 32) {
    throw new CacheConfigError(
      field,
      `expected 32 bytes (AES-256), got ${bytes.length}; generate one with crypto.randomBytes(32)`,
    );
  }
  return bytes;
}

/** Validates `encryption` (config errors name the exact field) and builds its codec. */
export function resolveEncryption(input: unknown, path = 'encryption'): Codec | undefined {
  if (input === undefined) return undefined;
  refuseUnknownOptions(input, ['keys'], makeError, path);
  const list = (input as { keys?: unknown }).keys;
  if (!Array.isArray(list) || list.length === 0) {
    throw new CacheConfigError(`${path}.keys`, 'expected a non-empty array [current, ...previous]');
  }
  const seen = new Set<string>();
  const keys = list.map((item: unknown, i) => {
    const at = `${path}.keys[${i}]`;
    refuseUnknownOptions(item, ['id', 'key'], makeError, at);
    const { id, key } = (item ?? {}) as { id?: unknown; key?: unknown };
    if (typeof id !== 'string' || !ID.test(id)) {
      throw new CacheConfigError(`${at}.id`, 'expected 1-16 characters of A-Z a-z 0-9 . _ -');
    }
    if (seen.has(id)) throw new CacheConfigError(`${at}.id`, `duplicate key id "${id}"`);
    seen.add(id);
    return { id, bytes: keyBytes(key, `${at}.key`) };
  });
  return new Codec(
    keys.map((k) => ({ id: k.id, key: k.bytes })),
    fingerprintOf(keys),
  );
}
