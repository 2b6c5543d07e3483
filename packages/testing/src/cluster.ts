import { waitUntil } from './process.js';
import { type RedisServer, runCli, startRedis } from './standalone.js';

export interface StartClusterOptions {
  masters?: number;
  replicasPerMaster?: 0 | 1;
}

export interface RedisClusterHandle {
  /** Every node, masters first as created. */
  readonly nodes: RedisServer[];
  /** `{ host, port }` list for `new Cluster(startupNodes)`. */
  readonly startupNodes: { host: string; port: number }[];
  /** `REDIS_CLUSTER_NODES` value: `host:port,host:port`. */
  readonly nodesEnv: string;
  /** Nodes currently acting as masters (asks the cluster). */
  masters(): Promise<RedisServer[]>;
  stop(): Promise<void>;
}

/** Starts `masters × (1 + replicasPerMaster)` cluster-enabled servers and joins them with redis-cli. */
export async function startCluster(options: StartClusterOptions = {}): Promise<RedisClusterHandle> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  const count = masters * (1 + replicas);
  const clusterArgs = [
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    'nodes.conf',
    '--cluster-node-timeout',
    '2000',
    // A test cluster must keep answering for the slots it has while one node is killed.
    '--cluster-require-full-coverage',
    'no',
  ];
  const nodes = await Promise.all(
    Array.from({ length: count }, () => startRedis({ args: clusterArgs })),
  );
  try {
    await runCli([
      '--cluster',
      'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas',
      String(replicas),
      '--cluster-yes',
    ]);
    await waitUntil(
      async () => {
        const infos = await Promise.all(nodes.map((n) => n.cli('cluster', 'info')));
        return infos.every((i) => i.includes('cluster_state:ok'));
      },
      { what: 'cluster_state:ok on every node', timeoutMs: 20_000, intervalMs: 100 },
    );
    if (replicas > 0) {
      await waitUntil(
        async () => {
          const lines = (await nodes[0]!.cli('cluster', 'nodes')).split('\n');
          return (
            lines.filter((l) => l.includes('slave') && !l.includes('fail')).length ===
            masters * replicas
          );
        },
        { what: 'replicas attached', timeoutMs: 20_000, intervalMs: 100 },
      );
    }
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  const startupNodes = nodes.map((n) => ({ host: n.host, port: n.port }));
  return {
    nodes,
    startupNodes,
    nodesEnv: startupNodes.map((n) => `${n.host}:${n.port}`).join(','),
    async masters() {
      const lines = (await nodes[0]!.cli('cluster', 'nodes')).split('\n');
      const ports = new Set(
        lines
          .filter((l) => {
            const flags = l.split(' ')[2] ?? '';
            return flags.split(',').includes('master') && !flags.includes('fail');
          })
          .map((l) => Number(l.split(' ')[1]?.split('@')[0]?.split(':')[1])),
      );
      return nodes.filter((n) => ports.has(n.port));
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
