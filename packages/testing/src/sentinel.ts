import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RedisTestServerError } from './errors.js';
import { freePort, killAndWait, spawnServer, waitForOutput, waitUntil } from './process.js';
import { type RedisServer, runCli, startRedis } from './standalone.js';

export interface SentinelHandle {
  readonly masterName: string;
  /** The servers; which one is master changes after `failover()`. */
  readonly servers: RedisServer[];
  readonly sentinels: { host: string; port: number }[];
  /** `REDIS_SENTINELS` value: `host:port,host:port`. */
  readonly sentinelsEnv: string;
  /** Asks a sentinel for the current master address. */
  masterAddress(): Promise<{ host: string; port: number }>;
  /** The server currently reported as master. */
  master(): Promise<RedisServer>;
  /** `SENTINEL FAILOVER` and wait until the replica is promoted and every sentinel agrees. */
  failover(): Promise<{ host: string; port: number }>;
  stop(): Promise<void>;
}

export interface StartSentinelOptions {
  masterName?: string;
}

/** One master, one replica and three sentinels (quorum 2), all on loopback. */
export async function startSentinel(options: StartSentinelOptions = {}): Promise<SentinelHandle> {
  const masterName = options.masterName ?? 'mymaster';
  const master = await startRedis();
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
  const servers = [master, replica];
  await waitUntil(
    async () => (await replica.cli('info', 'replication')).includes('master_link_status:up'),
    {
      what: 'replica to sync',
    },
  );

  const sentinelProcs: { port: number; stop: () => Promise<void> }[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      let started = false;
      for (let attempt = 0; attempt < 8 && !started; attempt++) {
        const port = await freePort();
        const conf = join(master.dir, `sentinel-${port}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${master.dir}`,
            `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 2`,
            `sentinel down-after-milliseconds ${masterName} 1000`,
            `sentinel failover-timeout ${masterName} 5000`,
            `sentinel parallel-syncs ${masterName} 1`,
            '',
          ].join('\n'),
        );
        const child = spawnServer('redis-server', [conf, '--sentinel'], master.dir);
        try {
          await waitForOutput(child, /Sentinel ID is|\+monitor master/);
          sentinelProcs.push({ port, stop: () => killAndWait(child, 'SIGKILL') });
          started = true;
        } catch {
          await killAndWait(child, 'SIGKILL');
        }
      }
      if (!started) throw new RedisTestServerError('could not start a sentinel');
    }
    const sentinels = sentinelProcs.map((s) => ({ host: '127.0.0.1', port: s.port }));
    // Every sentinel must know the replica and the other sentinels before a failover can succeed.
    await waitUntil(
      async () => {
        for (const s of sentinels) {
          const out = await runCli(['-p', String(s.port), 'sentinel', 'master', masterName]);
          const lines = out.split('\n');
          const field = (name: string) => Number(lines[lines.indexOf(name) + 1]);
          if (field('num-slaves') < 1 || field('num-other-sentinels') < 2) return false;
        }
        return true;
      },
      {
        what: 'sentinels to discover the replica and each other',
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    );

    const masterAddress = async () => {
      const out = await runCli([
        '-p',
        String(sentinels[0]!.port),
        'sentinel',
        'get-master-addr-by-name',
        masterName,
      ]);
      const [host, port] = out.split('\n');
      return { host: host ?? '127.0.0.1', port: Number(port) };
    };

    return {
      masterName,
      servers,
      sentinels,
      sentinelsEnv: sentinels.map((s) => `${s.host}:${s.port}`).join(','),
      masterAddress,
      async master() {
        const { port } = await masterAddress();
        const found = servers.find((s) => s.port === port);
        if (!found) throw new RedisTestServerError(`sentinel reports unknown master port ${port}`);
        return found;
      },
      async failover() {
        const before = await masterAddress();
        await runCli(['-p', String(sentinels[0]!.port), 'sentinel', 'failover', masterName]);
        let after = before;
        await waitUntil(
          async () => {
            after = await masterAddress();
            if (after.port === before.port) return false;
            const promoted = servers.find((s) => s.port === after.port);
            return Boolean(promoted && (await promoted.cli('role')).startsWith('master'));
          },
          { what: 'sentinel failover', timeoutMs: 30_000, intervalMs: 100 },
        );
        return after;
      },
      async stop() {
        await Promise.all(sentinelProcs.map((s) => s.stop()));
        await Promise.all([replica.stop(), master.stop()]);
      },
    };
  } catch (error) {
    await Promise.all(sentinelProcs.map((s) => s.stop()));
    await Promise.all([replica.stop(), master.stop()]);
    throw error;
  }
}
