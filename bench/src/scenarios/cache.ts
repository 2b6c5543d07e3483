import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import KeyvRedis from '@keyv/redis';
import { createCache as createOurCache, msgpackSerializer } from '@redis-toolkit/cache';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache as createCacheManager } from 'cache-manager';
import { Redis } from 'ioredis';
import { Keyv } from 'keyv';
import { Packr } from 'msgpackr';
import {
  type BenchContext,
  fmtRate,
  measure,
  ratio,
  type Scenario,
  table,
  throughput,
} from '../context.js';

const small = { id: 42, name: 'Ada Lovelace', email: 'ada@example.com', active: true, visits: 7 }; // ~90 B JSON
const large = {
  items: Array.from({ length: 100 }, (_, i) => ({
    id: i,
    name: `Patient ${i}`,
    note: 'x'.repeat(50),
    at: 1_700_000_000 + i,
  })),
}; // ~10 KB JSON
const SIZES = [
  ['100 B', small],
  ['10 KB', large],
] as const;

interface Slice {
  rate: number;
  /** Client CPU (user + system) per operation, µs: what encryption adds, less exposed to load. */
  cpuUs: number;
}

/** Runs `fn` sequentially for about `ms` milliseconds. */
async function slice(fn: () => Promise<unknown>, ms: number): Promise<Slice> {
  let ops = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let b = 0; b < 16; b++) await fn();
    ops += 16;
    elapsed = performance.now() - started;
  }
  const used = process.cpuUsage(cpu);
  return { rate: (ops * 1000) / elapsed, cpuUs: (used.user + used.system) / ops };
}

/**
 * Plain vs encrypted in interleaved rounds, each round A B B A (so a load change on this shared
 * machine within a round hits both alike); one dropped warm-up round first. Per round: the rate
 * ratio and the CPU-per-op difference.
 */
async function interleavedPair(
  rounds: number,
  sliceMs: number,
  plain: () => Promise<unknown>,
  encrypted: () => Promise<unknown>,
): Promise<{ plain: Slice[]; encrypted: Slice[] }> {
  const out = { plain: [] as Slice[], encrypted: [] as Slice[] };
  for (let r = -1; r < rounds; r++) {
    const a1 = await slice(plain, sliceMs);
    const b1 = await slice(encrypted, sliceMs);
    const b2 = await slice(encrypted, sliceMs);
    const a2 = await slice(plain, sliceMs);
    if (r < 0) continue;
    const mean = (x: Slice, y: Slice): Slice => ({
      rate: (x.rate + y.rate) / 2,
      cpuUs: (x.cpuUs + y.cpuUs) / 2,
    });
    out.plain.push(mean(a1, a2));
    out.encrypted.push(mean(b1, b2));
  }
  return out;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

/** Encrypted vs plain values: Redis-tier hits, L1 hits and L2 sets, interleaved in one run. */
async function encryptionCost(ctx: BenchContext, client: () => Redis): Promise<string> {
  const encryption = { keys: [{ id: 'bench', key: randomBytes(32) }] } as const;
  const l2 = createOurCache({ redis: client(), prefix: 'e2p:', maxMemoryEntries: 0 });
  const l2e = createOurCache({ redis: client(), prefix: 'e2e:', maxMemoryEntries: 0, encryption });
  const l1 = createOurCache({ redis: client(), prefix: 'e1p:', l1: { mode: 'tier' } });
  const l1e = createOurCache({ redis: client(), prefix: 'e1e:', l1: { mode: 'tier' }, encryption });
  const rounds = ctx.quick ? 2 : 15;
  const sliceMs = ctx.quick ? 30 : 100;
  const rows: string[][] = [
    [
      'Row',
      'Size',
      'plain',
      'encrypted',
      'encrypted / plain (rate)',
      'per-round ratio range',
      'client CPU per op, plain → encrypted',
      'CPU added per op',
    ],
  ];
  for (const [label, value] of SIZES) {
    const k = `k:${label}`;
    for (const c of [l2, l2e, l1, l1e]) await c.set(k, value);
    for (const c of [l2e, l1e]) {
      if (JSON.stringify(await c.get(k)) !== JSON.stringify(value)) {
        throw new Error(`bench setup: encrypted cache returned a wrong value for ${label}`);
      }
    }
    const pair = async (
      name: string,
      plain: () => Promise<unknown>,
      encrypted: () => Promise<unknown>,
    ) => {
      const m = await interleavedPair(rounds, sliceMs, plain, encrypted);
      const ratios = m.encrypted.map((e, i) => e.rate / (m.plain[i] as Slice).rate);
      const added = m.encrypted.map((e, i) => e.cpuUs - (m.plain[i] as Slice).cpuUs);
      const cpuP = median(m.plain.map((x) => x.cpuUs));
      const cpuE = median(m.encrypted.map((x) => x.cpuUs));
      rows.push([
        name,
        label,
        fmtRate(median(m.plain.map((x) => x.rate))),
        fmtRate(median(m.encrypted.map((x) => x.rate))),
        `${median(ratios).toFixed(2)}×`,
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
        `${cpuP.toFixed(1)} → ${cpuE.toFixed(1)} µs`,
        `${median(added).toFixed(1)} µs`,
      ]);
    };
    await pair(
      'Redis-tier hit (get, no L1), the same key again: its opened value is reused',
      () => l2.get(k),
      () => l2e.get(k),
    );
    // More keys than the codec keeps opened values of (256), read in turn: every read deciphers.
    const many = Array.from({ length: 512 }, (_, i) => `${k}:${i}`);
    for (const key of many) await Promise.all([l2.set(key, value), l2e.set(key, value)]);
    let turnP = 0;
    let turnE = 0;
    await pair(
      'Redis-tier hit (get, no L1), 512 keys in turn: every read deciphers',
      () => l2.get(many[turnP++ % many.length] as string),
      () => l2e.get(many[turnE++ % many.length] as string),
    );
    await pair(
      'L1 hit (get, tier)',
      () => l1.get(k),
      () => l1e.get(k),
    );
    await pair(
      'set (no L1)',
      () => l2.set(k, value),
      () => l2e.set(k, value),
    );
  }
  await Promise.all([l2.close(), l2e.close(), l1.close(), l1e.close()]);
  return [
    `Encryption (AES-256-GCM, one key): ${rounds} rounds per row, each round plain, encrypted,`,
    `encrypted, plain for ${sliceMs} ms each (one warm-up round dropped), same run, same server.`,
    'Rates: median round; "encrypted / plain": median of the per-round ratios; CPU: user + system',
    "time of the benchmark process per operation (the client's own work, which is where encryption",
    'runs; less exposed to other load on the machine than wall-clock rates); "CPU added": median',
    'of the per-round differences.',
    '',
    table(rows),
  ].join('\n');
}

/** Rate and client CPU per op of `count` calls with 100 in flight. */
async function concurrent(count: number, fn: () => Promise<unknown>): Promise<Slice> {
  const cpu = process.cpuUsage();
  const rate = await throughput(count, 100, fn);
  const used = process.cpuUsage(cpu);
  return { rate, cpuUs: (used.user + used.system) / count };
}

/**
 * `cache.get` without memory in front vs raw ioredis `GET` + `JSON.parse` at concurrency 100 (one
 * connection each, the target ≥ 0.95×), and a tagged read (entry + tag time) vs raw
 * `MGET` of the same two keys: interleaved rounds A B B A, one warm-up round dropped.
 */
async function concurrencyCost(ctx: BenchContext, client: () => Redis): Promise<string> {
  const raw = client();
  // ioredis' own batching, the other way to send a tick's commands in one write
  const pipelined = new Redis(ctx.redis.url, { enableAutoPipelining: true });
  const plain = createOurCache({ redis: client(), prefix: 'c1:', maxMemoryEntries: 0 });
  const tagged = createOurCache({ redis: client(), prefix: 'c2:' }); // 'fallback' mode, the default
  const rounds = ctx.quick ? 2 : 9;
  const count = ctx.quick ? 2000 : 20_000;
  const rows: string[][] = [
    [
      'Row (concurrency 100)',
      'Size',
      'this package',
      'raw ioredis',
      'ours / raw (median round)',
      'per-round range',
      'raw, auto-pipelined',
      'ours / auto-pipelined',
      'client CPU per op, raw → auto-pipelined → ours',
    ],
  ];
  for (const [label, value] of SIZES) {
    const k = `k:${label}`;
    await raw.set(`raw:${k}`, JSON.stringify(value));
    await plain.set(k, value);
    await tagged.set(k, value, { tags: ['staff'] });
    await tagged.invalidateTags(['other']);
    await raw.set('raw:tag', String(Date.now()));
    const rawGet = (c: Redis) => async () => JSON.parse((await c.get(`raw:${k}`)) as string);
    const rawTagged = (c: Redis) => async () => {
      const [v, t] = await c.mget(`raw:${k}`, 'raw:tag');
      return Number(t) > 0 ? JSON.parse(v as string) : undefined;
    };
    const pairs: [string, () => Promise<unknown>, (c: Redis) => () => Promise<unknown>][] = [
      ['get, no memory vs GET + JSON.parse', () => plain.get(k), rawGet],
      [
        "tagged get ({ tags }, 'fallback') vs MGET + JSON.parse",
        () => tagged.get(k, { tags: ['staff'] }),
        rawTagged,
      ],
    ];
    for (const [name, ours, baseline] of pairs) {
      const o: Slice[] = [];
      const r: Slice[] = [];
      const p: Slice[] = [];
      const plainRaw = baseline(raw);
      const autoRaw = baseline(pipelined);
      for (let round = -1; round < rounds; round++) {
        // raw, ours, auto-pipelined, auto-pipelined, ours, raw: each side as often first as last
        const a1 = await concurrent(count, plainRaw);
        const b1 = await concurrent(count, ours);
        const c1 = await concurrent(count, autoRaw);
        const c2 = await concurrent(count, autoRaw);
        const b2 = await concurrent(count, ours);
        const a2 = await concurrent(count, plainRaw);
        if (round < 0) continue;
        r.push({ rate: (a1.rate + a2.rate) / 2, cpuUs: (a1.cpuUs + a2.cpuUs) / 2 });
        o.push({ rate: (b1.rate + b2.rate) / 2, cpuUs: (b1.cpuUs + b2.cpuUs) / 2 });
        p.push({ rate: (c1.rate + c2.rate) / 2, cpuUs: (c1.cpuUs + c2.cpuUs) / 2 });
      }
      const ratios = o.map((x, i) => x.rate / (r[i] as Slice).rate);
      const vsPipelined = o.map((x, i) => x.rate / (p[i] as Slice).rate);
      const cpu = (xs: Slice[]) => median(xs.map((x) => x.cpuUs)).toFixed(1);
      rows.push([
        name,
        label,
        fmtRate(median(o.map((x) => x.rate))),
        fmtRate(median(r.map((x) => x.rate))),
        `${median(ratios).toFixed(2)}×`,
        `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
        fmtRate(median(p.map((x) => x.rate))),
        `${median(vsPipelined).toFixed(2)}×`,
        `${cpu(r)} → ${cpu(p)} → ${cpu(o)} µs`,
      ]);
    }
  }
  await Promise.all([plain.close(), tagged.close()]);
  pipelined.disconnect();
  return [
    `Concurrency 100 on one connection per side, ${count.toLocaleString('en')} calls per slice, ${rounds} rounds`,
    'of raw, ours, auto-pipelined, auto-pipelined, ours, raw (one warm-up round dropped), same run,',
    "same server. The tagged row is the response cache's read: the entry and its tag's invalidation",
    'time in one MGET (one round trip), against a raw MGET of two keys. Ours sends the commands',
    "issued in one tick in one socket write (the connection runtime's write coalescing); plain",
    "ioredis writes each command on its own; `enableAutoPipelining` is ioredis' own batching.",
    '',
    table(rows),
  ].join('\n');
}

export const scenario: Scenario = {
  id: 'cache',
  title:
    'Cache: L1/L2 hits, getOrSet, set and stampede vs bentocache, cache-manager and raw ioredis',
  async run(ctx: BenchContext): Promise<string> {
    // other work on this shared machine moves sequential rates a lot: the run says how loaded it was
    const loadAtStart = loadavg()[0] ?? 0;
    const time = ctx.quick ? 200 : Math.min(ctx.timeMs, 1200);
    const bctx: BenchContext = { ...ctx, timeMs: time };
    const url = ctx.redis.url;
    const clients: Redis[] = [];
    const client = () => {
      const c = new Redis(url);
      clients.push(c);
      return c;
    };
    const raw = client();

    // this package
    const oursL1 = createOurCache({
      redis: client(),
      prefix: 'o1:',
      defaultTtl: '1h',
      maxMemoryEntries: 10_000,
      l1: { mode: 'tier' },
    });
    const oursL1Clone = createOurCache({
      redis: client(),
      prefix: 'o1c:',
      defaultTtl: '1h',
      maxMemoryEntries: 10_000,
      l1: { mode: 'tier', copy: 'clone' },
    });
    const oursL2 = createOurCache({
      redis: client(),
      prefix: 'o2:',
      defaultTtl: '1h',
      maxMemoryEntries: 0,
    });
    const oursL2Msgpack = createOurCache({
      redis: client(),
      prefix: 'o2m:',
      defaultTtl: '1h',
      maxMemoryEntries: 0,
      serializer: msgpackSerializer(new Packr({ useRecords: false })),
    });
    // bentocache 1.6
    const bento = new BentoCache({
      default: 'tiered',
      stores: {
        tiered: bentostore()
          .useL1Layer(memoryDriver({ maxItems: 10_000 }))
          .useL2Layer(redisDriver({ connection: client() })),
        l1: bentostore().useL1Layer(memoryDriver({ maxItems: 10_000 })),
        l2: bentostore().useL2Layer(redisDriver({ connection: client() })),
      },
    });
    const bTiered = bento.use('tiered');
    const bL1 = bento.use('l1');
    const bL2 = bento.use('l2');
    // cache-manager 7 + keyv 5 (+ @keyv/redis 5, its own node-redis client)
    const keyvRedis = new KeyvRedis(url);
    const cmL1 = createCacheManager({ stores: [new Keyv()] });
    const cmL2 = createCacheManager({ stores: [new Keyv({ store: keyvRedis, namespace: 'cm2' })] });
    const cmTiered = createCacheManager({
      stores: [new Keyv(), new Keyv({ store: new KeyvRedis(url), namespace: 'cmt' })],
    });

    const rows: string[][] = [
      [
        'Row',
        'Size',
        'this package',
        'bentocache 1.6',
        'cache-manager 7',
        'raw ioredis',
        'ours vs bento',
        'ours vs raw',
      ],
    ];
    const extra: string[][] = [['Row', 'Size', 'variant', 'rate', 'vs default']];
    const ttlMs = 3_600_000;
    let miss = 0;

    for (const [label, value] of SIZES) {
      const k = `k:${label}`;
      const json = JSON.stringify(value);
      await raw.set(`raw:${k}`, json);
      await oursL1.set(k, value);
      await oursL1Clone.set(k, value);
      await oursL2.set(k, value);
      await oursL2Msgpack.set(k, value);
      await bTiered.set({ key: k, value, ttl: '1h' });
      await bL1.set({ key: k, value, ttl: '1h' });
      await bL2.set({ key: k, value, ttl: '1h' });
      await cmL1.set(k, value, ttlMs);
      await cmL2.set(k, value, ttlMs);
      await cmTiered.set(k, value, ttlMs);
      // sanity: everyone returns the value
      for (const got of [
        await oursL1.get(k),
        await oursL2.get(k),
        await bL2.get({ key: k }),
        await cmL2.get(k),
      ]) {
        if (JSON.stringify(got) !== json) throw new Error(`bench setup: wrong value for ${label}`);
      }

      const l1 = await measure(bctx, {
        ours: () => oursL1.get(k),
        bento: () => bL1.get({ key: k }),
        cm: () => cmL1.get(k),
        oursClone: () => oursL1Clone.get(k),
      });
      const l2 = await measure(bctx, {
        ours: () => oursL2.get(k),
        bento: () => bL2.get({ key: k }),
        cm: () => cmL2.get(k),
        raw: async () => JSON.parse((await raw.get(`raw:${k}`)) as string),
        oursMsgpack: () => oursL2Msgpack.get(k),
      });
      const gos = await measure(bctx, {
        ours: () => oursL1.getOrSet(k, () => value),
        bento: () => bTiered.getOrSet({ key: k, factory: () => value, ttl: '1h' }),
        cm: () => cmTiered.wrap(k, () => value, ttlMs),
      });
      const gom = await measure(bctx, {
        ours: () => oursL1.getOrSet(`m${miss++}`, () => value),
        bento: () => bTiered.getOrSet({ key: `m${miss++}`, factory: () => value, ttl: '1h' }),
        cm: () => cmTiered.wrap(`m${miss++}`, () => value, ttlMs),
        raw: async () => {
          const key = `raw:m${miss++}`;
          if ((await raw.get(key)) === null) await raw.set(key, JSON.stringify(value), 'PX', ttlMs);
        },
      });
      const set = await measure(bctx, {
        ours: () => oursL1.set(k, value),
        bento: () => bTiered.set({ key: k, value, ttl: '1h' }),
        cm: () => cmTiered.set(k, value, ttlMs),
        raw: () => raw.set(`raw:${k}`, JSON.stringify(value), 'PX', ttlMs),
        oursL2Json: () => oursL2.set(k, value),
        oursL2Msgpack: () => oursL2Msgpack.set(k, value),
      });
      const by = (list: { name: string; opsPerSec: number }[], name: string) =>
        list.find((m) => m.name === name)?.opsPerSec ?? 0;
      const row = (name: string, list: { name: string; opsPerSec: number }[]) => {
        const r = by(list, 'raw');
        rows.push([
          name,
          label,
          fmtRate(by(list, 'ours')),
          fmtRate(by(list, 'bento')),
          fmtRate(by(list, 'cm')),
          r ? fmtRate(r) : '—',
          ratio(by(list, 'ours'), by(list, 'bento')),
          r ? ratio(by(list, 'ours'), r) : '—',
        ]);
      };
      row('L1 hit (get)', l1);
      row('L2 hit (get, no L1)', l2);
      row('tiered getOrSet hit', gos);
      row('getOrSet miss (load + write)', gom);
      row('set (tiered)', set);
      extra.push([
        'L1 hit',
        label,
        "copy: 'clone' (deserialize per hit)",
        fmtRate(by(l1, 'oursClone')),
        ratio(by(l1, 'oursClone'), by(l1, 'ours')),
      ]);
      extra.push([
        'L2 hit',
        label,
        'msgpackr serializer',
        fmtRate(by(l2, 'oursMsgpack')),
        ratio(by(l2, 'oursMsgpack'), by(l2, 'ours')),
      ]);
      extra.push([
        'set (L2 only)',
        label,
        'msgpackr vs JSON',
        `${fmtRate(by(set, 'oursL2Msgpack'))} vs ${fmtRate(by(set, 'oursL2Json'))}`,
        ratio(by(set, 'oursL2Msgpack'), by(set, 'oursL2Json')),
      ]);
    }

    // stampede: 1,000 concurrent cold calls, loader takes 20 ms
    const stampede: string[][] = [['1,000 concurrent cold calls (one process)', 'loader runs']];
    const count = async (
      name: string,
      fn: (key: string, loader: () => Promise<typeof small>) => Promise<unknown>,
    ) => {
      let runs = 0;
      const loader = async () => {
        runs++;
        await new Promise((r) => setTimeout(r, 20));
        return small;
      };
      const key = `stampede:${name}`;
      await Promise.all(Array.from({ length: 1000 }, () => fn(key, loader)));
      stampede.push([name, String(runs)]);
    };
    await count('this package', (key, loader) => oursL1.getOrSet(key, loader));
    await count('this package, lock: true', (key, loader) =>
      oursL1.getOrSet(key, loader, { lock: true }),
    );
    await count('bentocache 1.6', (key, loader) =>
      bTiered.getOrSet({ key, factory: loader, ttl: '1h' }),
    );
    await count('cache-manager 7', (key, loader) => cmTiered.wrap(key, loader, ttlMs));

    const concurrency = await concurrencyCost(ctx, client);
    const encrypted = await encryptionCost(ctx, client);

    await Promise.all([oursL1.close(), oursL1Clone.close(), oursL2.close(), oursL2Msgpack.close()]);
    await bento.disconnectAll().catch(() => {});
    await Promise.all([cmL1.disconnect(), cmL2.disconnect(), cmTiered.disconnect()]).catch(
      () => {},
    );
    for (const c of clients) c.disconnect();

    const load = `Load average (1 min) on this 2-core machine: ${loadAtStart.toFixed(1)} at the start, ${(loadavg()[0] ?? 0).toFixed(1)} at the end of this scenario.`;
    return [
      load,
      '',
      'Sequential operations (one at a time), one client each, loopback Redis. "this package" uses',
      "its defaults: JSON, L1 `copy: 'freeze'` (deep-frozen value handed out, O(1) per hit).",
      'bentocache uses its defaults (serializes in L1); cache-manager uses keyv memory + @keyv/redis.',
      '',
      table(rows),
      '',
      'Variants of this package:',
      '',
      table(extra),
      '',
      table(stampede),
      '',
      concurrency,
      '',
      encrypted,
    ].join('\n');
  },
};
