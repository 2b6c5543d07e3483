import type { RedisServer } from '@redis-toolkit/testing';
import { describeEachTopology, startRedis, waitUntil } from '@redis-toolkit/testing';
import { type Cluster, Redis as IORedis, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  createRedis,
  defineScript,
  durableWrite,
  encodeKeySegment,
  isRedisUnavailable,
  RedisRuntime,
  RedisUnavailableError,
  runScript,
  scanKeys,
} from '../src/index.js';
import { captureLogger, timed } from './helpers.js';

/** Servers that take the commands of a topology: every master (Cluster), the master (Sentinel), the server. */
async function serving(ctx: {
  standalone?: RedisServer;
  cluster?: { masters(): Promise<RedisServer[]> };
  sentinel?: { master(): Promise<RedisServer> };
}): Promise<RedisServer[]> {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.masters();
  return [await (ctx.sentinel as { master(): Promise<RedisServer> }).master()];
}

describeEachTopology('runtime: a hung server costs one timeout per connection', (ctx) => {
  let client: Redis | Cluster;
  beforeAll(async () => {
    client = ctx.client();
    await client.set('warm', '1');
  });

  it('times out once, then every caller is refused at once, and one probe brings all back', async () => {
    const log = captureLogger();
    const a = RedisRuntime.for(client, { logger: log.logger, commandTimeoutMs: 300 });
    const b = RedisRuntime.for(client); // a second package on the same client
    expect(b).toBe(a);
    await a.run('get', () => client.get('warm'));
    const servers = await serving(ctx);
    for (const s of servers) s.pause();
    try {
      const first = await timed(a.run('get', () => client.get('warm')));
      expect(first.error).toBeInstanceOf(RedisUnavailableError);
      expect(first.ms).toBeGreaterThanOrEqual(250);
      expect(first.ms).toBeLessThan(1500);
      expect(a.available).toBe(false);
      // 20 later calls from "other packages": all refused without waiting
      for (let i = 0; i < 20; i++) {
        const later = await timed(b.run('get', () => client.get('warm')));
        expect((later.error as RedisUnavailableError).reason).toBe('outage');
        expect(later.ms).toBeLessThan(50);
      }
    } finally {
      for (const s of servers) s.resume();
    }
    await waitUntil(() => a.available, { timeoutMs: 10_000, what: 'the probe to end the outage' });
    expect(await a.run('get', () => client.get('warm'))).toBe('1');
    const warnings = log.lines.filter((l) => l.level === 'warn' && /outage/.test(l.msg ?? ''));
    const infos = log.lines.filter((l) => l.level === 'info' && /outage ended/.test(l.msg ?? ''));
    expect(warnings).toHaveLength(1);
    expect(infos).toHaveLength(1);
  }, 30_000);

  // Skipped on Sentinel: killing its master is a failover, covered by the counted failover test
  // below. On a Cluster every master dies.
  it.skipIf(ctx.name === 'sentinel')(
    'a killed and restarted server: calls fail fast during the outage and recover by themselves',
    async () => {
      const a = RedisRuntime.for(client);
      const servers = await serving(ctx);
      await Promise.all(servers.map((s) => s.kill()));
      try {
        const first = await timed(a.run('get', () => client.get('warm')));
        expect(isRedisUnavailable(first.error)).toBe(true);
        const later = await timed(a.run('get', () => client.get('warm')));
        expect(later.ms).toBeLessThan(50);
      } finally {
        await Promise.all(servers.map((s) => s.restart()));
      }
      await waitUntil(() => a.available, { timeoutMs: 30_000, what: 'recovery after restart' });
      await waitUntil(async () => (await client.set('warm', '1').catch(() => null)) === 'OK', {
        timeoutMs: 30_000,
        what: 'writes accepted again',
      });
    },
    40_000,
  );

  it('runs a Lua script by SHA and reloads it after SCRIPT FLUSH (NOSCRIPT) on every master', async () => {
    const runtime = RedisRuntime.for(client);
    await waitUntil(() => runtime.available, { timeoutMs: 20_000, what: 'runtime up' });
    const script = defineScript({
      name: 'incr-by',
      numberOfKeys: 1,
      source: "return redis.call('INCRBY', KEYS[1], ARGV[1])",
    });
    const keys = ['{a}n', '{b}n', '{c}n'];
    await waitUntil(
      async () => (await client.del(...keys.slice(0, 1)).catch(() => null)) !== null,
      {
        timeoutMs: 30_000,
        what: 'the topology to accept writes',
      },
    );
    for (const k of keys) await client.del(k);
    for (const k of keys) expect(await runScript(runtime, script, [k], [2])).toBe(2);
    for (const s of await serving(ctx)) await s.cli('script', 'flush');
    for (const k of keys) expect(await runScript(runtime, script, [k], [3])).toBe(5);
  }, 30_000);

  it('scans every master, honouring keyPrefix, and never widens a pattern with input', async () => {
    const prefixed = ctx.client({ keyPrefix: 'app:' });
    const runtime = RedisRuntime.for(prefixed);
    const ids = ['1', '2', '*', 'x:y', '\ud800', 'nul\u0000'];
    for (const id of ids) await prefixed.set(`scan:${encodeKeySegment(id)}`, id);
    const found: string[] = [];
    for await (const page of scanKeys(runtime, 'scan:*')) found.push(...page);
    expect(found.sort()).toEqual(ids.map((id) => `scan:${encodeKeySegment(id)}`).sort());
    for (const key of found) expect(await prefixed.get(key)).not.toBeNull();
    const literal: string[] = [];
    for await (const page of scanKeys(runtime, `scan:${encodeKeySegment('*')}`))
      literal.push(...page);
    expect(literal).toEqual([`scan:${encodeKeySegment('*')}`]);
  }, 30_000);

  it('durable writes: acknowledged only once a replica has them where replicas exist', async () => {
    const runtime = RedisRuntime.for(client);
    await waitUntil(() => runtime.available, { timeoutMs: 20_000, what: 'runtime up' });
    for (let i = 0; i < 20; i++) {
      await durableWrite(runtime, 'set', `{d}${i}`, (c) => c.set(`{d}${i}`, String(i)));
    }
    for (let i = 0; i < 20; i++) expect(await client.get(`{d}${i}`)).toBe(String(i));
  }, 30_000);
});

describe('runtime: Sentinel failover loses nothing acknowledged', () => {
  // counted: every durable write that resolved is on the promoted master afterwards
  let handle: Awaited<ReturnType<typeof import('@redis-toolkit/testing').startSentinel>>;
  beforeAll(async () => {
    const { startSentinel } = await import('@redis-toolkit/testing');
    handle = await startSentinel();
  }, 90_000);
  afterAll(async () => {
    await handle?.stop();
  });

  it('keeps every acknowledged write through SENTINEL FAILOVER under load', async () => {
    const connection = createRedis({
      sentinels: handle.sentinels,
      masterName: handle.masterName,
    });
    await connection.waitUntilReady();
    const runtime = connection.runtime as RedisRuntime;
    const acknowledged: string[] = [];
    let refused = 0;
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        const key = `ack:${w}:${i}`;
        try {
          await durableWrite(runtime, 'set', key, (c) => c.set(key, '1'));
          acknowledged.push(key);
        } catch (error) {
          if (!isRedisUnavailable(error)) throw error;
          refused++;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const writers = [0, 1, 2, 3].map(writer);
    await new Promise((r) => setTimeout(r, 500));
    await handle.failover();
    await new Promise((r) => setTimeout(r, 3000));
    stop = true;
    await Promise.all(writers);
    await waitUntil(() => runtime.available, {
      timeoutMs: 20_000,
      what: 'runtime up after failover',
    });
    const master = await handle.master();
    // One redis-cli per 500 keys (EXISTS counts), one per key only inside a chunk that lacks some:
    // a process per key took longer than the test's budget on a loaded machine.
    const missing: string[] = [];
    for (let i = 0; i < acknowledged.length; i += 500) {
      const chunk = acknowledged.slice(i, i + 500);
      if (Number((await master.cli('exists', ...chunk)).trim()) === chunk.length) continue;
      for (const key of chunk) {
        if ((await master.cli('exists', key)).trim() !== '1') missing.push(key);
      }
    }
    // figures for the README: how many were acknowledged and refused during the failover
    console.log(
      `failover: ${acknowledged.length} acknowledged, ${refused} refused, ${missing.length} missing`,
    );
    expect(acknowledged.length).toBeGreaterThan(50);
    expect(missing).toEqual([]);
    await connection.close();
  }, 90_000);
});

describe('runtime: logs and secrets', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedis({ password: 'pa55-w0rd-secret' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('warns once about a Sentinel client without failoverDetector', () => {
    // a real client that never connects (lazyConnect): the warning comes from its options alone
    const log = captureLogger();
    const plain = new IORedis({
      sentinels: [{ host: '127.0.0.1', port: 1 }],
      name: 'mymaster',
      lazyConnect: true,
    });
    onTestFinished(() => plain.disconnect());
    RedisRuntime.for(plain, { logger: log.logger, watchdogIntervalMs: 0 });
    expect(log.lines.filter((l) => /failoverDetector/.test(l.msg ?? ''))).toHaveLength(1);
  });

  it('a wrong password gives one warning per outage, and the password is in no line at any level', async () => {
    const log = captureLogger();
    const connection = createRedis(
      { url: `redis://:wrong-pa55-secret@${server.host}:${server.port}` },
      { logger: log.logger },
    );
    await waitUntil(() => connection.status === 'down', { timeoutMs: 10_000, what: 'down' });
    await new Promise((r) => setTimeout(r, 2500));
    expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(log.text()).not.toContain('wrong-pa55-secret');
    expect(connection.lastError?.message).toMatch(/WRONGPASS|invalid/i);
    await connection.close();
  }, 20_000);

  it('REDIS_DB outside the server range is down with a message naming REDIS_DB', async () => {
    const connection = createRedis({
      url: `redis://:pa55-w0rd-secret@${server.host}:${server.port}/99`,
    });
    await waitUntil(() => connection.status === 'down', { timeoutMs: 10_000, what: 'down' });
    expect(connection.lastError?.message).toMatch(/REDIS_DB=99 is out of range/);
    await connection.close();
  }, 20_000);
});
