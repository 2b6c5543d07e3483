import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { type RedisClusterHandle, startCluster } from './cluster.js';
import { type SentinelHandle, startSentinel } from './sentinel.js';
import { type RedisServer, startRedis } from './standalone.js';

export type TopologyName = 'standalone' | 'cluster' | 'sentinel';
export const ALL_TOPOLOGIES: readonly TopologyName[] = ['standalone', 'cluster', 'sentinel'];

export interface TopologyContext {
  readonly name: TopologyName;
  /** A new ioredis client for this topology; closed automatically after the describe block. */
  client(options?: RedisOptions): Redis | Cluster;
  /** Environment variables that `loadRedisConfig` understands for this topology. */
  env(): Record<string, string>;
  readonly standalone: RedisServer | undefined;
  readonly cluster: RedisClusterHandle | undefined;
  readonly sentinel: SentinelHandle | undefined;
}

interface Running {
  name: TopologyName;
  standalone?: RedisServer;
  cluster?: RedisClusterHandle;
  sentinel?: SentinelHandle;
}

async function startTopology(name: TopologyName): Promise<Running> {
  if (name === 'standalone') return { name, standalone: await startRedis() };
  if (name === 'cluster') return { name, cluster: await startCluster({ masters: 3 }) };
  return { name, sentinel: await startSentinel() };
}

/**
 * Runs the same describe block once per topology, each against its own servers, so
 * "works on Cluster and Sentinel" is a property of every test rather than an afterthought.
 * The context is only usable inside hooks and tests (servers start in beforeAll).
 */
export function describeEachTopology(
  title: string,
  fn: (ctx: TopologyContext) => void,
  topologies: readonly TopologyName[] = ALL_TOPOLOGIES,
): void {
  for (const name of topologies) {
    describe(`${title} [${name}]`, () => {
      let running: Running | undefined;
      const clients: (Redis | Cluster)[] = [];
      beforeAll(async () => {
        running = await startTopology(name);
      }, 90_000);
      afterAll(async () => {
        for (const c of clients.splice(0)) c.disconnect();
        await running?.standalone?.stop();
        await running?.cluster?.stop();
        await running?.sentinel?.stop();
      });
      const need = (): Running => {
        if (!running)
          throw new Error('topology not started yet: use the context inside a hook or test');
        return running;
      };
      const ctx: TopologyContext = {
        name,
        get standalone() {
          return running?.standalone;
        },
        get cluster() {
          return running?.cluster;
        },
        get sentinel() {
          return running?.sentinel;
        },
        client(options: RedisOptions = {}) {
          const r = need();
          let client: Redis | Cluster;
          if (r.standalone) {
            client = new Redis({ host: r.standalone.host, port: r.standalone.port, ...options });
          } else if (r.cluster) {
            client = new Cluster(r.cluster.startupNodes, {
              redisOptions: options,
              keyPrefix: options.keyPrefix,
            });
          } else {
            const s = r.sentinel!;
            client = new Redis({ sentinels: s.sentinels, name: s.masterName, ...options });
          }
          client.on('error', () => {
            // fault tests kill servers on purpose; errors surface through commands
          });
          clients.push(client);
          return client;
        },
        env(): Record<string, string> {
          const r = need();
          if (r.standalone) return { REDIS_URL: r.standalone.url };
          if (r.cluster) return { REDIS_CLUSTER_NODES: r.cluster.nodesEnv };
          return {
            REDIS_SENTINELS: r.sentinel!.sentinelsEnv,
            REDIS_SENTINEL_MASTER: r.sentinel!.masterName,
          };
        },
      };
      fn(ctx);
    });
  }
}
