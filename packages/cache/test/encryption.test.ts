import { randomBytes } from 'node:crypto';
import { describeEachTopology, listen, waitUntil } from '@redis-toolkit/testing';
import express from 'express';
import type { Cluster, Redis } from 'ioredis';
import { expect, it, onTestFinished } from 'vitest';
import { cacheResponse } from '../src/express/index.js';
import {
  type Cache,
  type CacheOptions,
  createCache,
  type EncryptionOptions,
  type ToolkitEvent,
} from '../src/index.js';

let n = 0;
const uniquePrefix = (): string => `enc${++n}${Date.now().toString(36)}:`;
const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32).toString('base64') };
const only = (...keys: { id: string; key: Buffer | string }[]): EncryptionOptions => ({
  keys: keys as unknown as EncryptionOptions['keys'],
});

const patient = { id: 'p1', name: 'Ada Lovelace', diagnosis: 'hypertension', ssn: '123-45-6789' };
const PLAINTEXT = ['Ada Lovelace', 'hypertension', '123-45-6789', '"name"', '"diagnosis"'];

describeEachTopology(
  'cache encryption',
  (ctx) => {
    let raw: Redis | Cluster;
    const make = (prefix: string, extra: CacheOptions = {}): Cache => {
      const cache = createCache({ redis: ctx.client(), prefix, defaultTtl: '1m', ...extra });
      onTestFinished(() => cache.close());
      return cache;
    };
    const rawGet = async (key: string): Promise<Buffer | null> => {
      raw ??= ctx.client();
      return raw.getBuffer(key);
    };
    const expectSealed = (stored: Buffer | null): void => {
      expect(stored).not.toBeNull();
      const text = (stored as Buffer).toString('latin1');
      for (const word of PLAINTEXT) expect(text).not.toContain(word);
      expect((stored as Buffer)[0]).toBe(1); // envelope version
    };
    const errorsOf = (cache: Cache): ToolkitEvent[] => {
      const seen: ToolkitEvent[] = [];
      cache.events.on((e) => {
        if (e.type === 'error' && e.operation === 'decrypt') seen.push(e);
      });
      return seen;
    };

    it('round trip through Redis; Redis holds no plaintext field of the value', async () => {
      const prefix = uniquePrefix();
      const cache = make(prefix, { encryption: only(k1) });
      await cache.set('patient:1', patient, { tags: ['patients'] });
      expect(await cache.get('patient:1')).toEqual(patient);
      const stored = await rawGet(`${prefix}cache:patient:1`);
      expectSealed(stored);
      expect((stored as Buffer).subarray(1, 4).toString('latin1')).toBe('\x02k1');
      await cache.mset([
        { key: 'a', value: { ...patient, id: 'a' } },
        { key: 'b', value: { ...patient, id: 'b' } },
      ]);
      expect(await cache.mget(['a', 'b', 'none'])).toEqual([
        { ...patient, id: 'a' },
        { ...patient, id: 'b' },
        undefined,
      ]);
      expectSealed(await rawGet(`${prefix}cache:a`));
      expect(await cache.expire('a', '2h')).toBe(true);
      expectSealed(await rawGet(`${prefix}cache:a`));
      expect(await cache.get('a')).toEqual({ ...patient, id: 'a' });
      // a fresh instance (nothing in memory) reads and opens what the first one wrote
      const other = make(prefix, { encryption: only(k1), maxMemoryEntries: 0 });
      expect(await other.get('patient:1')).toEqual(patient);
      expect(other.stats().decryptFailures).toBe(0);
    });

    it('getOrSet stores sealed and serves the opened value', async () => {
      const prefix = uniquePrefix();
      const cache = make(prefix, { encryption: only(k1), maxMemoryEntries: 0 });
      let loads = 0;
      const loader = () => {
        loads++;
        return patient;
      };
      expect(await cache.getOrSetWithMeta('g', loader)).toEqual({
        value: patient,
        source: 'loader',
      });
      expect(await cache.getOrSetWithMeta('g', loader)).toEqual({
        value: patient,
        source: 'redis',
      });
      expect(await cache.getOrSet('g', loader, { lock: true })).toEqual(patient);
      expect(loads).toBe(1);
      expectSealed(await rawGet(`${prefix}cache:g`));
    });

    it('per namespace: the encrypted namespace and its children are sealed, the rest is not', async () => {
      const prefix = uniquePrefix();
      const cache = make(prefix);
      const patients = cache.namespace('patients', { encryption: only(k1) });
      await patients.set('1', patient);
      await patients.namespace('notes').set('1', patient);
      await cache.set('public', patient);
      expectSealed(await rawGet(`${prefix}cache:patients:1`));
      expectSealed(await rawGet(`${prefix}cache:patients:notes:1`));
      expect((await rawGet(`${prefix}cache:public`))?.toString()).toContain('Ada Lovelace');
      // the key space is encrypted, whichever view reaches it
      expect(await cache.namespace('patients').get('1')).toEqual(patient);
      expect(await cache.get('patients:1')).toEqual(patient);
      expect(() => cache.namespace('patients', { encryption: only(k2) })).toThrow(
        /already has encryption/,
      );
      await expect(patients.incr('visits')).rejects.toMatchObject({
        code: 'E_CACHE_CONFIG',
        field: 'encryption',
      });
      expect(await cache.incr('visits')).toBe(1);
    });

    it('rotation: [k2, k1] still reads k1 values and writes under k2; [k2] alone misses them', async () => {
      const prefix = uniquePrefix();
      const opts = { maxMemoryEntries: 0 };
      const before = make(prefix, { encryption: only(k1), ...opts });
      await before.set('old', patient);
      const rotated = make(prefix, { encryption: only(k2, k1), ...opts });
      expect(await rotated.get('old')).toEqual(patient);
      await rotated.set('new', patient);
      const fresh = await rawGet(`${prefix}cache:new`);
      expect(fresh?.subarray(1, 4).toString('latin1')).toBe('\x02k2');
      const after = make(prefix, { encryption: only(k2), ...opts });
      const failures = errorsOf(after);
      expect(await after.get('new')).toEqual(patient);
      expect(await after.get('old')).toBeUndefined();
      expect(after.stats().decryptFailures).toBe(1);
      expect(after.stats().miss).toBe(1);
      expect(failures.map((e) => e.reason)).toEqual(['unknown-key']);
      // the right id with the wrong bytes fails authentication
      const wrong = make(prefix, { encryption: only({ id: 'k2', key: randomBytes(32) }), ...opts });
      const wrongFailures = errorsOf(wrong);
      expect(await wrong.get('new')).toBeUndefined();
      expect(wrongFailures.map((e) => e.reason)).toEqual(['auth']);
      // rewriting under the current key is how an entry leaves k1 for good
      await rotated.set('old', patient);
      expect(await after.get('old')).toEqual(patient);
    });

    it('a tampered value, a value moved to another key and plaintext are misses, counted, never thrown', async () => {
      const prefix = uniquePrefix();
      const cache = make(prefix, { encryption: only(k1) }); // fallback mode: Redis on every read
      const failures = errorsOf(cache);
      const seen: string[] = [];
      cache.on('decrypt:error', (e) => seen.push(`${e.key}:${e.reason}`));
      await cache.set('t', patient);
      await cache.set('src', patient);
      raw ??= ctx.client();
      const sealed = (await raw.getBuffer(`${prefix}cache:t`)) as Buffer;
      const flipped = Buffer.from(sealed);
      flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0x01;
      await raw.set(`${prefix}cache:t`, flipped, 'PX', 60_000);
      expect(await cache.get('t')).toBeUndefined();
      // the failed open also dropped this instance's outage copy of 't' (only 'src' is left)
      expect(cache.stats().l1.entries).toBe(1);

      const moved = (await raw.getBuffer(`${prefix}cache:src`)) as Buffer;
      await raw.set(`${prefix}cache:dst`, moved, 'PX', 60_000);
      expect(await cache.get('dst')).toBeUndefined();
      expect(await cache.get('src')).toEqual(patient);

      const envelope = JSON.stringify({
        v: patient,
        e: Date.now() + 60_000,
        g: Date.now() + 60_000,
        c: 0,
      });
      await raw.set(`${prefix}cache:plain`, envelope, 'PX', 60_000);
      expect(await cache.get('plain')).toBeUndefined();
      expect(await cache.getOrSet('plain', () => 'loaded')).toBe('loaded');
      await raw.set(`${prefix}cache:counter`, '41', 'PX', 60_000);
      expect(await cache.get('counter')).toBeUndefined();

      expect(cache.stats().decryptFailures).toBe(5);
      expect(failures.map((e) => e.reason)).toEqual([
        'auth',
        'auth',
        'malformed',
        'malformed',
        'malformed',
      ]);
      expect(seen[0]).toBe(`${prefix}cache:t:auth`);
      expect(seen[1]).toBe(`${prefix}cache:dst:auth`);
    });

    it('a value opened before is reused only while Redis holds the very same bytes under the same key', async () => {
      const prefix = uniquePrefix();
      const cache = make(prefix, { encryption: only(k1) }); // fallback mode: Redis on every read
      await cache.set('t', patient);
      for (let i = 0; i < 3; i++) expect(await cache.get('t')).toEqual(patient);
      raw ??= ctx.client();
      const sealed = (await raw.getBuffer(`${prefix}cache:t`)) as Buffer;
      // the same bytes under another key: opened (and refused) for that key, not reused
      await raw.set(`${prefix}cache:copy`, sealed, 'PX', 60_000);
      expect(await cache.get('copy')).toBeUndefined();
      // one flipped byte under the same key: no longer the value that was opened
      const flipped = Buffer.from(sealed);
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0x01;
      await raw.set(`${prefix}cache:t`, flipped, 'PX', 60_000);
      expect(await cache.get('t')).toBeUndefined();
      // a new write opens afresh, and reads stay distinct objects (callers may change them)
      await cache.set('t', { ...patient, name: 'Grace Hopper' });
      const a = (await cache.get('t')) as typeof patient;
      const b = (await cache.get('t')) as typeof patient;
      expect(a.name).toBe('Grace Hopper');
      expect(a).not.toBe(b);
      expect(cache.stats().decryptFailures).toBe(2);
    });

    it('L1 (tier) keeps the opened value: hits decrypt nothing and return the same frozen object', async () => {
      const prefix = uniquePrefix();
      const writer = make(prefix, { encryption: only(k1), maxMemoryEntries: 0 });
      await writer.set('p', patient);
      const cache = make(prefix, { encryption: only(k1), l1: { mode: 'tier' } });
      const first = await cache.getWithMeta('p');
      expect(first).toEqual({ value: patient, source: 'redis' });
      const second = await cache.getWithMeta('p');
      expect(second.source).toBe('l1');
      expect(second.value).toBe((await cache.getWithMeta('p')).value);
      // a value this instance writes is sealed in Redis though memory keeps it readable
      await cache.set('q', patient);
      expectSealed(await rawGet(`${prefix}cache:q`));
      expect(await cache.getWithMeta('q')).toEqual({ value: patient, source: 'l1' });
      await waitUntil(async () => (await writer.get('q')) !== undefined, { timeoutMs: 5000 });
    });

    it('the Express response cache stores sealed responses through an encrypted cache', async () => {
      const prefix = uniquePrefix();
      const cache = make(prefix, { encryption: only(k1) });
      const app = express();
      let calls = 0;
      app.get('/patients/:id', cacheResponse({ cache, ttl: 60 }), (_req, res) => {
        calls++;
        res.json(patient);
      });
      const server = await listen(app);
      onTestFinished(() => server.close());
      const a = await fetch(`${server.url}/patients/p1`);
      expect(a.headers.get('x-cache')).toBe('MISS');
      expect(await a.json()).toEqual(patient);
      const b = await fetch(`${server.url}/patients/p1`);
      expect(b.headers.get('x-cache')).toBe('HIT');
      expect(await b.json()).toEqual(patient);
      expect(calls).toBe(1);
      raw ??= ctx.client();
      const keys: string[] = [];
      const nodes = 'nodes' in raw ? raw.nodes('master') : [raw];
      for (const node of nodes) keys.push(...(await node.keys(`${prefix}cache:http:*`)));
      expect(keys).toHaveLength(1);
      expectSealed(await rawGet(keys[0] as string));
    });
  },
  ['standalone', 'cluster'],
);
