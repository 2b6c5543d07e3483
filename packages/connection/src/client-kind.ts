import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from './types.js';

/*
 * `instanceof Cluster` is true only for the copy of ioredis this package was resolved against.
 * Users bring their own client (ioredis 5 or 6, possibly a second copy in node_modules), so the
 * toolkit tells clients apart by the `isCluster` flag every ioredis Cluster carries instead.
 */

/** True for an ioredis Cluster client, whichever ioredis copy or major version created it. */
export function isCluster(client: RedisClient): client is Cluster {
  return (client as { isCluster?: unknown }).isCluster === true;
}

/** True for a single-node ioredis client (standalone or Sentinel-managed). */
export function isSingleNode(client: RedisClient): client is Redis {
  return !isCluster(client);
}
