import { type ChildProcess, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cache, createCache } from '@redis-toolkit/cache';
import { Redis } from 'ioredis';
import { type BenchContext, fmtRate, type Scenario, table } from '../context.js';

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, '..', 'cache-tracking', 'worker.mjs');
const preciseNow = (): number => performance.timeOrigin + performance.now();

interface Dropped {
  type: 'dropped';
  key: string;
  at: number;
}

function start(url: string, prefix: string, invalidation: 'auto' | 'bus'): ChildProcess {
  return fork(WORKER, [url, prefix, invalidation], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function next<T>(
  child: ChildProcess,
  match: (m: T) => boolean,
  ms = 10_000,
  what = 'a message',
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', on);
      reject(new Error(`worker did not send ${what} within ${ms} ms`));
    }, ms);
    const on = (m: unknown): void => {
      if (!match(m as T)) return;
      clearTimeout(timer);
      child.off('message', on);
      resolve(m as T);
    };
    child.on('message', on);
  });
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? Number.NaN;
};

const envelope = (v: unknown): string => {
  const now = Date.now();
  return JSON.stringify({ v, e: now + 600_000, g: now + 600_000, c: now });
};

/**
 * From the writer's reply to the other process dropping its memory copy, one key at a time.
 * `write` performs the change and resolves on its reply.
 */
async function dropLatency(
  child: ChildProcess,
  keys: string[],
  write: (key: string, i: number) => Promise<unknown>,
): Promise<number[]> {
  const primed = next<{ type: string; inMemory: number }>(
    child,
    (m) => m.type === 'primed',
    60_000,
    'primed',
  );
  // the worker reads keys relative to its cache (`k0`), drops report full keys (`{prefix}cache:k0`)
  child.send({ op: 'prime', keys: keys.map((k) => k.slice(k.indexOf('cache:') + 6)) });
  const { inMemory } = await primed;
  if (inMemory !== keys.length) throw new Error(`only ${inMemory}/${keys.length} keys in memory`);
  const delays: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const dropped = next<Dropped>(
      child,
      (m) => m.type === 'dropped' && m.key === key,
      10_000,
      `the drop of ${key}`,
    );
    await write(key, i);
    const repliedAt = preciseNow();
    const { at } = await dropped;
    delays.push(at - repliedAt);
  }
  return delays;
}

interface Slice {
  rate: number;
}

async function slice(fn: () => Promise<unknown>, ms: number): Promise<Slice> {
  let ops = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let b = 0; b < 64; b++) await fn();
    ops += 64;
    elapsed = performance.now() - started;
  }
  return { rate: (ops * 1000) / elapsed };
}

const median = (xs: number[]): number => pct(xs, 0.5);

/** Tracking vs bus caches in interleaved A B B A rounds (one dropped warm-up round). */
async function interleaved(
  rounds: number,
  sliceMs: number,
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
): Promise<{ a: number; b: number; ratio: number }> {
  const as: number[] = [];
  const bs: number[] = [];
  const ratios: number[] = [];
  for (let r = -1; r < rounds; r++) {
    const a1 = await slice(a, sliceMs);
    const b1 = await slice(b, sliceMs);
    const b2 = await slice(b, sliceMs);
    const a2 = await slice(a, sliceMs);
    if (r < 0) continue;
    const ra = (a1.rate + a2.rate) / 2;
    const rb = (b1.rate + b2.rate) / 2;
    as.push(ra);
    bs.push(rb);
    ratios.push(ra / rb);
  }
  return { a: median(as), b: median(bs), ratio: median(ratios) };
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const scenario: Scenario = {
  id: 'cache-tracking',
  title: 'Cache: server-assisted L1 invalidation (CLIENT TRACKING) vs the bus',
  async run(ctx: BenchContext): Promise<string> {
    const loadAtStart = loadavg()[0] ?? 0;
    const url = ctx.redis.url;
    const n = ctx.quick ? 50 : 500;
    const out: string[] = [];

    // 1. drop latency across two processes
    const trackedPrefix = `bt${Date.now()}:`;
    const tracked = start(url, trackedPrefix, 'auto');
    const busPrefix = `bb${Date.now()}:`;
    const bused = start(url, busPrefix, 'bus');
    const raw = new Redis(url);
    const writerRedis = new Redis(url);
    const writer = createCache({
      redis: writerRedis,
      prefix: busPrefix,
      l1: { mode: 'tier', invalidation: 'bus' },
    });
    let tracking: number[] = [];
    let bus: number[] = [];
    try {
      const [t, b] = await Promise.all([
        next<{ type: string; invalidation: string }>(
          tracked,
          (m) => m.type === 'ready',
          30_000,
          'ready',
        ),
        next<{ type: string; invalidation: string }>(
          bused,
          (m) => m.type === 'ready',
          30_000,
          'ready',
        ),
      ]);
      if (t.invalidation !== 'tracking' || b.invalidation !== 'bus') {
        throw new Error(`workers run ${t.invalidation} / ${b.invalidation}`);
      }
      await writer.ready();
      const tKeys = Array.from({ length: n }, (_, i) => `${trackedPrefix}cache:k${i}`);
      const bKeys = Array.from({ length: n }, (_, i) => `${busPrefix}cache:k${i}`);
      const pipe = raw.pipeline();
      for (const k of tKeys) pipe.set(k, envelope('v1'));
      await pipe.exec();
      for (let i = 0; i < n; i++) await writer.set(`k${i}`, 'v1');
      // fills of a key invalidated less than 2 command timeouts ago are refused on purpose
      await new Promise((r) => setTimeout(r, 1500));
      // a raw client, no toolkit: SET with a new value
      tracking = await dropLatency(tracked, tKeys, (key) => raw.set(key, envelope('v2')));
      // the bus sees toolkit writers only: the reference is a toolkit set
      bus = await dropLatency(bused, bKeys, (_key, i) => writer.set(`k${i}`, 'v2'));
    } finally {
      tracked.send({ op: 'stop' });
      bused.send({ op: 'stop' });
      await writer.close();
      writerRedis.disconnect();
      raw.disconnect();
    }
    const fmt = (x: number): string => `${x.toFixed(2)} ms`;
    out.push(
      'L1 copy dropped in another process after a write, measured from the write’s reply (sub-ms ' +
        'wall clock of both processes on one machine; negative = the drop came before the writer ' +
        `saw its reply). ${n} writes one at a time; \`l1: { mode: 'tier' }\`.`,
      '',
      table([
        ['Invalidation', 'Writer', 'p50', 'p99', 'max', 'target'],
        [
          "tracking (`'auto'`)",
          'raw ioredis `SET` (no toolkit)',
          fmt(pct(tracking, 0.5)),
          fmt(pct(tracking, 0.99)),
          fmt(Math.max(...tracking)),
          '≤ 10 ms p99',
        ],
        [
          "bus (`'bus'`)",
          'toolkit `cache.set` (batched ≤ 2 ms)',
          fmt(pct(bus, 0.5)),
          fmt(pct(bus, 0.99)),
          fmt(Math.max(...bus)),
          '—',
        ],
      ]),
      '',
      'With the bus, the raw `SET` of the first row is never seen: the copy stays until `l1.ttl`.',
      '',
    );

    // 2. what tracking costs on the read path (same process, same server, interleaved)
    const make = (
      invalidation: 'auto' | 'bus',
      entries: number,
    ): { cache: Cache; redis: Redis } => {
      const redis = new Redis(url);
      return {
        redis,
        cache: createCache({
          redis,
          prefix: `bc${invalidation}${entries}:`,
          maxMemoryEntries: entries,
          l1: { mode: 'tier', invalidation },
        }),
      };
    };
    const rounds = ctx.quick ? 2 : 7;
    const sliceMs = ctx.quick ? 40 : 250;
    const rows: string[][] = [['Path', 'tracking', 'bus', 'tracking vs bus (median of rounds)']];
    const all: { cache: Cache; redis: Redis }[] = [];
    try {
      // hit: one key held in memory
      const th = make('auto', 1000);
      const bh = make('bus', 1000);
      all.push(th, bh);
      await waitFor(() => th.cache.stats().invalidation === 'tracking', 'tracking');
      await th.cache.set('hot', { id: 1, name: 'Ada' });
      await bh.cache.set('hot', { id: 1, name: 'Ada' });
      const hit = await interleaved(
        rounds,
        sliceMs,
        () => th.cache.get('hot'),
        () => bh.cache.get('hot'),
      );
      rows.push(['L1 hit (`get`)', fmtRate(hit.a), fmtRate(hit.b), `${hit.ratio.toFixed(2)}×`]);
      // miss: 2,000 keys cycled through a 100-entry memory: every get misses memory, reads
      // Redis and fills memory
      const tm = make('auto', 100);
      const bm = make('bus', 100);
      all.push(tm, bm);
      await waitFor(() => tm.cache.stats().invalidation === 'tracking', 'tracking');
      const keys = Array.from({ length: 2000 }, (_, i) => `m${i}`);
      for (const k of keys) {
        await tm.cache.set(k, { id: k });
        await bm.cache.set(k, { id: k });
      }
      let i = 0;
      let j = 0;
      const miss = await interleaved(
        rounds,
        sliceMs,
        () => tm.cache.get(keys[i++ % keys.length] as string),
        () => bm.cache.get(keys[j++ % keys.length] as string),
      );
      // write: `set` on one cache while two other instances (own clients) hold memory under the
      // same prefix — with tracking Redis sends each of them one invalidation per write
      const listeners = (invalidation: 'auto' | 'bus', prefix: string): Cache[] =>
        [0, 1].map(() => {
          const redis = new Redis(url);
          const cache = createCache({ redis, prefix, l1: { mode: 'tier', invalidation } });
          all.push({ cache, redis });
          return cache;
        });
      // own prefix (make() names it from the memory size): the hit row's caches do not listen
      const tw = make('auto', 1001);
      const bw = make('bus', 1001);
      all.push(tw, bw);
      const tl = listeners('auto', 'bcauto1001:');
      const bl = listeners('bus', 'bcbus1001:');
      await waitFor(
        () => [tw.cache, ...tl].every((c) => c.stats().invalidation === 'tracking'),
        'tracking on the writer and listeners',
      );
      await Promise.all([...bl, bw.cache].map((c) => c.ready()));
      let w = 0;
      const write = await interleaved(
        rounds,
        sliceMs,
        () => tw.cache.set(`w${w++ % 500}`, { id: w }),
        () => bw.cache.set(`w${w++ % 500}`, { id: w }),
      );
      rows.push([
        '`set`, 2 other instances listening',
        fmtRate(write.a),
        fmtRate(write.b),
        `${write.ratio.toFixed(2)}×`,
      ]);
      const received = tl.reduce((n, c) => n + c.stats().invalidationsReceived, 0);
      if (received === 0) throw new Error('the tracking listeners received no invalidation');
      const tStats = tm.cache.stats();
      rows.push([
        'L1 miss + Redis hit + fill (`get`)',
        fmtRate(miss.a),
        fmtRate(miss.b),
        `${miss.ratio.toFixed(2)}×`,
      ]);
      if (tStats.l1Hits > tStats.l2Hits / 10) {
        rows.push(['(miss row check)', `${tStats.l1Hits} L1 hits`, '', 'unexpected']);
      }
    } finally {
      for (const { cache, redis } of all) {
        await cache.close();
        redis.disconnect();
      }
    }
    out.push(
      `Read-path cost, ${rounds} interleaved rounds (tracking, bus, bus, tracking; ${sliceMs} ms slices), sequential calls, one process:`,
      '',
      table(rows),
      '',
      `Load average (1 min) on this 2-core machine: ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end of this scenario.`,
    );
    return out.join('\n');
  },
};
