import { createHash } from 'node:crypto';
import { AppConfigError } from '../env-error.js';

export interface CacheKey {
  id: string;
  key: Buffer;
}

export type CacheKeys = [CacheKey, ...CacheKey[]];

const ID = /^[A-Za-z0-9._-]{1,16}$/;

/**
 * `CACHE_ENCRYPTION_KEYS=2026-12:<base64>,2026-06:<base64>`: the first key seals new cache
 * values, every listed key opens them, so a rotation is "prepend the new key, drop the old one
 * after the cache TTL". Never echoes a key in an error.
 *
 * Unset outside production: one development key derived from SESSION_SECRET, so instances that
 * share the (development) secret also read each other's values. Unset in production: refused.
 */
export function cacheEncryptionKeys(
  raw: string | undefined,
  production: boolean,
  sessionSecret: string,
  warnings: string[],
): CacheKeys {
  if (!raw?.trim()) {
    if (production)
      throw new AppConfigError(
        'CACHE_ENCRYPTION_KEYS is required when NODE_ENV=production: patient and care data are sealed in Redis. Set CACHE_ENCRYPTION_KEYS=<id>:<32 random bytes in base64>, e.g. k1:$(openssl rand -base64 32)',
      );
    warnings.push(
      'CACHE_ENCRYPTION_KEYS is not set: the dental and care caches are sealed with a development key derived from SESSION_SECRET (never do this in production)',
    );
    const key = createHash('sha256').update(`cache-encryption:${sessionSecret}`).digest();
    return [{ id: 'dev', key }];
  }
  const seen = new Set<string>();
  const keys = raw.split(',').map((entry, index) => {
    const colon = entry.indexOf(':');
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    const where = `CACHE_ENCRYPTION_KEYS entry ${index + 1}`;
    if (colon < 0 || !ID.test(id))
      throw new AppConfigError(
        `${where}: expected <id>:<base64 key>, the id 1-16 characters of A-Z a-z 0-9 . _ -`,
      );
    if (seen.has(id)) throw new AppConfigError(`${where}: duplicate key id "${id}"`);
    seen.add(id);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== 32 || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded))
      throw new AppConfigError(
        `${where} ("${id}"): expected 32 bytes in base64 (AES-256), got ${key.length}`,
      );
    return { id, key };
  });
  return keys as CacheKeys;
}
