import { RateLimitConfigError } from './errors.js';

/**
 * Builds `{prefix}ratelimit:{name}:{<encoded key>}`. The caller's key is percent-encoded (so `:`,
 * `{`, `}`, `*`, `?`, `[` and spaces cannot collide with another key, widen a SCAN pattern or form a
 * second hash tag) and wrapped in braces: on a Cluster everything stored for one key is in one slot.
 */
export function encodeKeyPart(part: string): string {
  return encodeURIComponent(part).replace(/\*/g, '%2A');
}

export function makeKeyFn(prefix: string, name: string): (key: string) => string {
  if (/[{}]/.test(prefix)) {
    throw new RateLimitConfigError(
      'prefix',
      'a string without `{` or `}` (the package adds the hash tag)',
      prefix,
    );
  }
  if (name.length === 0 || /[{}]/.test(name)) {
    throw new RateLimitConfigError('name', 'a non-empty string without `{` or `}`', name);
  }
  const head = `${prefix}ratelimit:${encodeKeyPart(name)}:{`;
  return (key: string) => `${head}${encodeKeyPart(key)}}`;
}
