import { isCluster, keyPrefixOf, type RedisClient } from '@redis-toolkit/connection';
import { Queue } from 'bullmq';
import { JOBS_PREFIX } from './config.js';

/** BullMQ `Queue`s over the jobs package's keys, for bull-board; one connection of their own. */
export interface BullQueues {
  readonly queues: Queue[];
  close(): Promise<void>;
}

/**
 * The package's key layout ("Keys it writes" in packages/jobs/README.md): BullMQ prefix
 * `<keyPrefix>api:jobs`, in one hash tag on a Cluster; BullMQ refuses a client `keyPrefix`, so
 * the copy has none. A separate connection: the board's scans never queue behind producers.
 */
export function bullQueuesFor(client: RedisClient, names: readonly string[]): BullQueues {
  const base = `${keyPrefixOf(client)}${JOBS_PREFIX}jobs`;
  const cluster = isCluster(client);
  const connection = cluster
    ? client.duplicate(undefined, {
        keyPrefix: '',
        redisOptions: { ...(client.options.redisOptions ?? {}), keyPrefix: '' },
      })
    : client.duplicate({ keyPrefix: '' });
  // failures show in the board's answers; an unhandled 'error' event would crash the process
  connection.on('error', () => {});
  const prefix = cluster ? `{${base}}` : base;
  const queues = names.map((name) => new Queue(name, { connection, prefix }));
  return {
    queues,
    async close() {
      await Promise.allSettled(queues.map((q) => q.close()));
      connection.disconnect();
    },
  };
}
