import { isCluster } from '../client-kind.js';
import type { RedisClient } from '../types.js';
import { escapeGlob, keyPrefixOf } from './keys.js';
import type { RedisRuntime } from './runtime.js';

export interface ScanOptions {
  /** SCAN COUNT hint per page. Default 500. */
  count?: number;
}

/** Every master a SCAN must visit: each master of a Cluster, the one server otherwise. */
export function mastersOf(client: RedisClient): RedisClient[] {
  if (isCluster(client)) return client.nodes('master');
  return [client];
}

/**
 * SCAN on every master for keys matching `pattern`, a glob over LOGICAL keys (what you pass to
 * commands): the client's `keyPrefix` is escaped and prepended to MATCH and stripped from the
 * results, so the keys yielded can be handed straight back to commands. Each page goes through
 * the runtime's guard, so a hung node costs one deadline and ends the scan with
 * `RedisUnavailableError`. Yields pages (arrays), never the whole keyspace at once.
 */
export async function* scanKeys(
  runtime: RedisRuntime,
  pattern: string,
  options: ScanOptions = {},
): AsyncGenerator<string[], void, undefined> {
  const client = runtime.client;
  const prefix = keyPrefixOf(client);
  const match = `${escapeGlob(prefix)}${pattern}`;
  const count = options.count ?? 500;
  for (const node of mastersOf(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await runtime.run('scan', () =>
        node.scan(cursor, 'MATCH', match, 'COUNT', count),
      );
      cursor = next;
      if (keys.length > 0) {
        yield prefix ? keys.map((k) => (k.startsWith(prefix) ? k.slice(prefix.length) : k)) : keys;
      }
    } while (cursor !== '0');
  }
}
