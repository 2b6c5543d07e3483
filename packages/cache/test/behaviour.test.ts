import { describeEachTopology } from '@redis-toolkit/testing';
import { expect, it } from 'vitest';
import {
  CacheSerializationError,
  CacheUndefinedValueError,
  createCache,
  defineKeys,
} from '../src/index.js';

let n = 0;
const uniquePrefix = (): string => `t${++n}${Date.now().toString(36)}:`;

describeEachTopology('cache behaviour', (ctx) => {
  const make = (extra: Partial<Parameters<typeof createCache>[0]> = {}, clientOptions = {}) =>
    createCache({
      redis: ctx.client(clientOptions),
      prefix: uniquePrefix(),
      defaultTtl: '1m',
      ...extra,
    });

  it('set/get/has/ttl/expire/del round-trip through Redis', async () => {
    const cache = make();
    await cache.set('patient:1', { name: 'Ada', visits: [1, 2] }, { ttl: 30 });
    expect(await cache.get('patient:1')).toEqual({ name: 'Ada', visits: [1, 2] });
    expect(await cache.has('patient:1')).toBe(true);
    expect(await cache.ttl('patient:1')).toBeGreaterThan(25);
    expect(await cache.expire('patient:1', '2h')).toBe(true);
    expect(await cache.ttl('patient:1')).toBeGreaterThan(7000);
    expect(await cache.del('patient:1')).toBe(1);
    expect(await cache.get('patient:1')).toBeUndefined();
    expect(await cache.has('patient:1')).toBe(false);
    expect(await cache.expire('patient:1', 5)).toBe(false);
    await cache.close();
  });

  it('documents round-trip rules: null stays, Date becomes ISO string, undefined is refused', async () => {
    const cache = make({ maxMemoryEntries: 100, l1: { mode: 'tier' } });
    const when = new Date('2026-01-02T03:04:05.000Z');
    await cache.set('n', null);
    await cache.set('d', { when, gone: undefined, list: [undefined] });
    expect(await cache.get('n')).toBeNull();
    expect(await cache.get('d')).toEqual({ when: '2026-01-02T03:04:05.000Z', list: [null] });
    await expect(cache.set('u', undefined)).rejects.toBeInstanceOf(CacheUndefinedValueError);
    await cache.close();
  });

  it('refuses BigInt and circular values with a typed error and writes nothing', async () => {
    const redis = ctx.client();
    const cache = createCache({
      redis,
      prefix: uniquePrefix(),
      maxMemoryEntries: 10,
      l1: { mode: 'tier' },
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    for (const bad of [{ id: 10n }, circular]) {
      const error = await cache.set('bad', bad).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CacheSerializationError);
      expect((error as CacheSerializationError).code).toBe('E_CACHE_SERIALIZE');
    }
    expect(await cache.get('bad')).toBeUndefined();
    expect(await cache.stats().sets).toBe(0);
    await expect(
      cache.mset([
        { key: 'ok', value: 1 },
        { key: 'bad', value: 1n },
      ]),
    ).rejects.toBeInstanceOf(CacheSerializationError);
    expect(await cache.get('ok')).toBeUndefined();
    await cache.close();
  });

  it('a caller cannot change the cached value by mutating what it got back', async () => {
    for (const copy of ['freeze', 'clone'] as const) {
      const cache = make({ maxMemoryEntries: 100, l1: { mode: 'tier', copy } });
      await cache.set('obj', { list: [1, 2], nested: { a: 1 } });
      const first = await cache.get<{ list: number[]; nested: { a: number } }>('obj');
      try {
        first!.list.push(3);
        first!.nested.a = 99;
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError); // frozen
      }
      expect(await cache.get('obj')).toEqual({ list: [1, 2], nested: { a: 1 } });
      const loaded = await cache.getOrSet('x', () => ({ a: [1] }));
      loaded.a.push(2); // the loader's own object is never stored
      expect(await cache.get('x')).toEqual({ a: [1] });
      await cache.close();
    }
  });

  it('mget/mset are Cluster-safe across slots and mix L1 and L2', async () => {
    const cache = make({ maxMemoryEntries: 100, l1: { mode: 'tier' } });
    const other = make({}, {});
    const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
    await cache.mset(keys.map((key, i) => ({ key, value: { i }, ttl: 60 })));
    expect(await cache.mget(keys)).toEqual(keys.map((_, i) => ({ i })));
    // an instance without L1 reads the same keys from L2
    const l2only = createCache({
      redis: ctx.client(),
      prefix: cache.keyPrefix.replace(/cache:$/, ''),
      defaultTtl: 60,
    });
    expect(await l2only.mget([...keys, 'missing'])).toEqual([
      ...keys.map((_, i) => ({ i })),
      undefined,
    ]);
    await Promise.all([cache.close(), other.close(), l2only.close()]);
  });

  it('getOrSet runs the loader once for 1,000 concurrent cold calls', async () => {
    const cache = make({ maxMemoryEntries: 100, l1: { mode: 'tier' } });
    let calls = 0;
    const loader = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 50));
      return { value: 'loaded' };
    };
    const results = await Promise.all(
      Array.from({ length: 1000 }, () => cache.getOrSet('cold', loader)),
    );
    expect(calls).toBe(1);
    expect(results.every((r) => r.value === 'loaded')).toBe(true);
    expect(await cache.getOrSet('cold', loader)).toEqual({ value: 'loaded' });
    expect(calls).toBe(1);
    await cache.close();
  });

  it('serves stale on loader error and soft timeout within grace; without stale the loader error reaches the caller', async () => {
    const cache = make();
    await cache.getOrSet('s', () => 'v1', { ttl: '300ms', grace: '1m' });
    await new Promise((r) => setTimeout(r, 400)); // let the logical TTL pass (this is the behaviour under test)
    expect(await cache.get('s')).toBeUndefined(); // plain get never returns stale
    const boom = new Error('db down');
    expect(
      await cache.getOrSet('s', () => Promise.reject(boom), { ttl: '300ms', grace: '1m' }),
    ).toBe('v1');
    let finished = false;
    const slow = () =>
      new Promise<string>((r) =>
        setTimeout(() => {
          finished = true;
          r('v2');
        }, 300),
      );
    expect(await cache.getOrSet('s', slow, { ttl: 60, grace: '1m', timeout: '20ms' })).toBe('v1');
    expect(cache.stats().stale).toBe(2);
    await waitFor(async () => finished && (await cache.get('s')) === 'v2');
    await expect(cache.getOrSet('never', () => Promise.reject(boom), { grace: '1m' })).rejects.toBe(
      boom,
    );
    await cache.close();
  });

  it('tags invalidate lazily on other instances too', async () => {
    const prefix = uniquePrefix();
    const a = createCache({
      redis: ctx.client(),
      prefix,
      maxMemoryEntries: 100,
      l1: { mode: 'tier' },
    });
    const b = createCache({ redis: ctx.client(), prefix }); // L2 only: must see the invalidation
    await a.set('patient:1', { n: 1 }, { tags: ['patients', 'clinic:1'] });
    await a.set('patient:2', { n: 2 }, { tags: ['patients'] });
    await a.set('invoice:1', { n: 3 }, { tags: ['invoices'] });
    expect(await b.get('patient:1')).toEqual({ n: 1 });
    expect(await a.invalidateTags(['clinic:1'])).toBe(true);
    expect(await b.get('patient:1')).toBeUndefined();
    expect(await a.get('patient:1')).toBeUndefined();
    expect(await b.get('patient:2')).toEqual({ n: 2 });
    await b.invalidateTags(['patients']);
    expect(await b.get('patient:2')).toBeUndefined();
    await waitFor(async () => (await a.get('patient:2')) === undefined);
    expect(await a.get('invoice:1')).toEqual({ n: 3 });
    // a value set after the invalidation is valid again; one created in the invalidation's own
    // millisecond counts as invalidated (the safe side), and the reads above can all fit in one
    await new Promise((r) => setTimeout(r, 5));
    await a.set('patient:2', { n: 22 }, { tags: ['patients'] });
    expect(await b.get('patient:2')).toEqual({ n: 22 });
    await Promise.all([a.close(), b.close()]);
  });

  it('an invalidated entry is gone, never served as stale when the loader then fails', async () => {
    const prefix = uniquePrefix();
    const cache = createCache({
      redis: ctx.client(),
      prefix,
      maxMemoryEntries: 100,
      l1: { mode: 'tier' },
    });
    const other = createCache({ redis: ctx.client(), prefix });
    await cache.getOrSet('patient:9', async () => ({ name: 'Ada' }), {
      ttl: 60,
      grace: '1h',
      tags: ['patient:9'],
    });
    await cache.invalidateTags(['patient:9']);
    const deleted = new Error('patient 9 not found');
    for (const c of [cache, other]) {
      await expect(
        c.getOrSet(
          'patient:9',
          async () => {
            throw deleted;
          },
          { ttl: 60, grace: '1h', tags: ['patient:9'] },
        ),
      ).rejects.toBe(deleted);
    }
    await Promise.all([cache.close(), other.close()]);
  });

  it('deleteByPattern counts, stays in its namespace and honours the ioredis keyPrefix', async () => {
    const raw = ctx.client();
    const prefixed = ctx.client({ keyPrefix: 'app1:' });
    const prefix = uniquePrefix();
    const cache = createCache({
      redis: prefixed,
      prefix,
      maxMemoryEntries: 100,
      l1: { mode: 'tier' },
    });
    const patients = cache.namespace('patients');
    const other = cache.namespace('patientsX');
    for (let i = 0; i < 30; i++) await patients.set(`page:${i}`, i);
    await patients.set('one', 1);
    await other.set('page:1', 'x');
    await cache.set('patients-page', 'root');
    expect(await raw.exists(`app1:${prefix}cache:patients:page:1`)).toBe(1);
    expect(await patients.deleteByPattern('page:*')).toBe(30);
    expect(await patients.get('page:3')).toBeUndefined();
    expect(await patients.get('one')).toBe(1);
    expect(await other.get('page:1')).toBe('x');
    // glob characters in a namespace are literal
    const star = cache.namespace('*');
    await star.set('a', 1);
    expect(await star.clear()).toBe(1);
    expect(await other.get('page:1')).toBe('x');
    expect(await patients.clear()).toBe(1);
    expect(await cache.get('patients-page')).toBe('root');
    expect(await cache.clear()).toBe(2);
    await cache.close();
  });

  it('bus and distributed lock work on this topology (two instances sharing only Redis)', async () => {
    const prefix = uniquePrefix();
    const a = createCache({
      redis: ctx.client(),
      prefix,
      maxMemoryEntries: 100,
      l1: { mode: 'tier' },
    });
    const b = createCache({
      redis: ctx.client(),
      prefix,
      maxMemoryEntries: 100,
      l1: { mode: 'tier' },
    });
    await Promise.all([a.ready(), b.ready()]);
    await a.set('k', 1);
    expect(await b.get('k')).toBe(1); // now in b's L1
    await a.set('k', 2);
    await waitFor(async () => (await b.get('k')) === 2);
    let runs = 0;
    const loader = async () => {
      runs++;
      await new Promise((r) => setTimeout(r, 200));
      return 'once';
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        (i % 2 ? a : b).getOrSet('locked', loader, { lock: true }),
      ),
    );
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['once']));
    await Promise.all([a.close(), b.close()]);
  });

  it('l1 fallback mode reads Redis on every call: fresh across instances at once (tags, mget, lock)', async () => {
    const prefix = uniquePrefix();
    const l1 = { mode: 'fallback' } as const;
    const a = createCache({ redis: ctx.client(), prefix, l1 });
    const b = createCache({ redis: ctx.client(), prefix, l1 });
    for (let i = 0; i < 20; i++) {
      await a.mset([
        { key: 'x', value: i },
        { key: 'y', value: 100 - i, tags: ['t'] },
      ]);
      expect(await b.mget(['x', 'y'])).toEqual([i, 100 - i]);
    }
    expect(await b.getOrSet('tagged', () => 'v1', { tags: ['t'] })).toBe('v1');
    await a.invalidateTags(['t']);
    expect(await b.get('tagged')).toBeUndefined();
    expect(await b.get('y')).toBeUndefined();
    let runs = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).getOrSet(
          'locked',
          async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 100));
            return 'once';
          },
          { lock: true },
        ),
      ),
    );
    expect(runs).toBe(1);
    expect(new Set(results)).toEqual(new Set(['once']));
    // fallback mode keeps a copy of what Redis served, but reads Redis while it answers
    expect(a.stats().l1Hits + b.stats().l1Hits).toBe(0);
    await Promise.all([a.close(), b.close()]);
  });

  it('defineKeys encodes segments so ids cannot collide or widen a pattern', async () => {
    const keys = defineKeys('dental', {
      patient: (id: string) => ['patient', id],
      patients: (page: number, limit: number) => ['patients', page, limit],
    });
    expect(keys.patients(1, 10)).toBe('dental:patients:1:10');
    const ids = ['1', '1:2', '1*', '1?', '[1]', '1\\', '1\n', '1%3A2', '{1}', '1 2'];
    const built = ids.map((id) => keys.patient(id));
    expect(new Set(built).size).toBe(ids.length);
    for (const k of built) expect(k.slice('dental:patient:'.length)).not.toMatch(/[:*?[\]\\\n{} ]/);
    const cache = make({ maxMemoryEntries: 100, l1: { mode: 'tier' } });
    for (const k of built) await cache.set(k, k);
    await cache.set(keys.patients(1, 10), 'list');
    // deleting one id's pattern built from hostile input touches only that id
    expect(await cache.deleteByPattern(`${keys.patient('1*')}*`)).toBe(1);
    expect(await cache.get(keys.patient('1'))).toBe(keys.patient('1'));
    expect(await cache.deleteByPattern(keys.$pattern('patient'))).toBe(ids.length - 1);
    expect(await cache.get(keys.patients(1, 10))).toBe('list');
    await cache.close();
  });
});

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
