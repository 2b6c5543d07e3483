import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { Cluster } from 'ioredis';
import { expect, it, onTestFinished } from 'vitest';
import { createRedis, loadRedisConfig, type RedisConnection } from '../src/index.js';
import { captureLogger, timed } from './helpers.js';

describeEachTopology('createRedis', (ctx) => {
  function connect(
    extra: Record<string, string> = {},
    logger = captureLogger().logger,
  ): RedisConnection {
    const connection = createRedis(loadRedisConfig({ ...ctx.env(), ...extra }), {
      logger,
      name: 'contract',
    });
    onTestFinished(() => connection.close({ timeoutMs: 500 }));
    return connection;
  }

  it('gets ready, runs commands on keys in different slots, and reports healthy', async () => {
    const redis = connect();
    await redis.waitUntilReady(15_000);
    const client = redis.client;
    if (!client) throw new Error('expected a client');
    expect(client instanceof Cluster).toBe(ctx.name === 'cluster');
    const keys = ['patients:1', 'patients:2', 'schools:7', 'care:visits:3', 'x', 'y', 'z'];
    for (const key of keys) await client.set(key, `v-${key}`);
    for (const key of keys) expect(await client.get(key)).toBe(`v-${key}`);
    if (client instanceof Cluster) {
      const slots = new Set(await Promise.all(keys.map((k) => client.cluster('KEYSLOT', k))));
      expect(slots.size).toBeGreaterThan(3);
      // The keys really live on different masters.
      const sizes = await Promise.all((ctx.cluster?.nodes ?? []).map((n) => n.cli('dbsize')));
      expect(sizes.filter((s) => Number(s) > 0).length).toBeGreaterThanOrEqual(2);
    }
    expect(await redis.health()).toMatchObject({ healthy: true, status: 'ready' });
  });

  it('applies the key prefix', async () => {
    const redis = connect({ REDIS_KEY_PREFIX: 'tk:' });
    await redis.client?.set('prefixed', '1');
    const raw = ctx.client();
    expect(await raw.get('tk:prefixed')).toBe('1');
    expect(await raw.exists('prefixed')).toBe(0);
  });

  it('duplicate() works for pub/sub and is closed with the parent', async () => {
    const redis = connect();
    await redis.waitUntilReady(15_000);
    const subscriber = redis.duplicate();
    const received = new Promise<string>((resolve) =>
      subscriber.on('message', (_c: string, m: string) => resolve(m)),
    );
    await subscriber.subscribe('contract');
    await redis.client?.publish('contract', 'hi');
    expect(await received).toBe('hi');
    await redis.close();
    expect(redis.status).toBe('closed');
    expect(subscriber.status).toBe('end');
  });

  if (ctx.name === 'sentinel') {
    it('follows a Sentinel failover: writes succeed against the new master', async () => {
      const sentinel = ctx.sentinel;
      if (!sentinel) throw new Error('expected sentinel');
      const { logger, lines } = captureLogger();
      const redis = connect({}, logger);
      await redis.waitUntilReady(15_000);
      await redis.client?.set('before', '1');
      const oldMaster = await sentinel.masterAddress();
      const newMaster = await sentinel.failover();
      expect(newMaster.port).not.toBe(oldMaster.port);
      let written = 0;
      await waitUntil(
        async () => {
          try {
            await redis.client?.set('after-failover', String(++written));
            const master = await sentinel.master();
            return (await master.cli('get', 'after-failover')) === String(written);
          } catch {
            return false;
          }
        },
        { what: 'a write to reach the new master', timeoutMs: 20_000, intervalMs: 200 },
      );
      await waitUntil(() => redis.status === 'ready', { what: 'status ready', timeoutMs: 10_000 });
      expect((await sentinel.master()).port).toBe(newMaster.port);
      // A failover is a handful of status changes, not one line per retry.
      expect(lines.length).toBeLessThan(10);
    });
  }

  if (ctx.name === 'cluster') {
    // Last in the block: it kills every node.
    it('every command settles within commandTimeout while the whole Cluster is down', async () => {
      const cluster = ctx.cluster;
      if (!cluster) throw new Error('expected cluster');
      const { logger, lines } = captureLogger();
      const redis = connect({ REDIS_COMMAND_TIMEOUT: '500ms', REDIS_DOWN_AFTER: '300ms' }, logger);
      await redis.waitUntilReady(15_000);
      const client = redis.client as Cluster;
      for (const node of cluster.nodes) await node.kill();
      await waitUntil(() => redis.status === 'down', { what: 'cluster down', timeoutMs: 15_000 });
      const results = await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => timed(client.get(`k${i}`))),
        timed(client.pipeline().get('a').set('b', '1').exec()),
        timed(client.multi().set('{t}a', '1').exec()),
      ]);
      for (const r of results) {
        // Pipelines resolve with per-command errors; single commands reject.
        const failed =
          r.error ?? (r.value as [Error | null, unknown][] | null)?.find(([e]) => e)?.[0];
        expect(failed).toBeInstanceOf(Error);
        expect(r.ms).toBeLessThan(500 * 3);
      }
      const health = await timed(redis.health({ timeoutMs: 300 }));
      expect(health.value).toMatchObject({ healthy: false, status: 'down' });
      expect(health.ms).toBeLessThan(900);
      expect(lines.filter((l) => l.level === 'warn').length).toBeLessThanOrEqual(2);
    });
  }
});
