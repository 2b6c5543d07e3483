import { randomBytes } from 'node:crypto';
import { waitUntil } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { expect, it } from 'vitest';
import { createCache } from '../src/index.js';
import { redisServerForFile } from './helpers.js';

const server = redisServerForFile();

const patient = { name: 'Ada Lovelace', diagnosis: 'hypertension' };

it('an outage serves the decoded memory copy, and nothing readable reaches Redis afterwards', async () => {
  const prefix = `eo${Date.now().toString(36)}:`;
  const redis = new Redis({ host: server().host, port: server().port, retryStrategy: () => 100 });
  redis.on('error', () => {});
  const raw = new Redis({ host: server().host, port: server().port, retryStrategy: () => 100 });
  raw.on('error', () => {});
  const cache = createCache({
    redis,
    prefix,
    commandTimeout: '200ms',
    encryption: { keys: [{ id: 'k1', key: randomBytes(32) }] },
  });
  try {
    await cache.set('a', patient, { tags: ['patients'] });
    await cache.set('gone', patient);
    expect(await cache.get('a')).toEqual(patient);
    server().pause();
    try {
      expect(await cache.getWithMeta('a')).toEqual({ value: patient, source: 'stale' });
      expect(await cache.set('b', { ...patient, name: 'Grace Hopper' })).toBe(false);
      expect(await cache.del('gone')).toBe(1); // from memory; Redis gets it on replay
      expect(await cache.invalidateTags(['other'])).toBe(false);
      expect(await cache.getWithMeta('b')).toMatchObject({ source: 'l1' });
    } finally {
      server().resume();
    }
    await waitUntil(
      async () => (await cache.getWithMeta('a')).source === 'redis' && !cache.stats().degraded,
      { timeoutMs: 20_000 },
    );
    await cache.set('c', patient);
    // every value under the prefix is sealed: the outage wrote nothing in clear, the replay
    // only deleted ('b', 'gone') and stamped a tag
    const keys = await raw.keys(`${prefix}*`);
    const values = keys.filter((k) => !k.includes('#'));
    expect(values.sort()).toEqual([`${prefix}cache:a`, `${prefix}cache:c`]);
    for (const key of values) {
      const stored = (await raw.getBuffer(key)) as Buffer;
      expect(stored[0]).toBe(1);
      for (const word of ['Ada', 'Grace', 'hypertension']) {
        expect(stored.toString('latin1')).not.toContain(word);
      }
    }
    expect(cache.stats().decryptFailures).toBe(0);
  } finally {
    await cache.close();
    redis.disconnect();
    raw.disconnect();
  }
});
