import { encodeKeySegment } from '@redis-toolkit/connection';

/**
 * `{namespace}{name}:{<encoded key>}` where namespace is `{prefix}ratelimit:`. The client key is
 * encoded by the toolkit rule (never throws, not even on a lone surrogate) so request input can
 * neither collide with another key nor widen a pattern, and wrapped in braces: on a Cluster
 * everything stored for one key is in one slot.
 */
export function makeKeyFn(namespace: string, name: string): (key: string) => string {
  const head = `${namespace}${encodeKeySegment(name)}:{`;
  return (key: string) => `${head}${encodeKeySegment(key)}}`;
}
