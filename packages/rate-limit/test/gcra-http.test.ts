import { describeEachTopology } from '@redis-toolkit/testing';
import { expect, it } from 'vitest';
import { createLimiter, createRateLimiter } from '../src/index.js';
import { burst, count, startApp, uniqueName } from './helpers.js';

describeEachTopology(
  'GCRA over HTTP and through the limiter',
  (ctx) => {
    it('draft-7 headers and Retry-After as for the other algorithms', async () => {
      const limiter = createRateLimiter({
        redis: ctx.client(),
        name: uniqueName('gcra-http'),
        window: '1m',
        limit: 3,
        algorithm: 'gcra',
        legacyHeaders: true,
        commandTimeout: 5,
      });
      const { url } = await startApp(limiter);
      const first = await fetch(url);
      expect(first.status).toBe(200);
      expect(first.headers.get('ratelimit-policy')).toBe('3;w=60');
      // one unit is worth 20 s: the bucket is full again 20 s after the first request
      expect(first.headers.get('ratelimit')).toMatch(/^limit=3, remaining=2, reset=(19|20)$/);
      expect(first.headers.get('x-ratelimit-remaining')).toBe('2');
      await fetch(url);
      await fetch(url);
      const refused = await fetch(url);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit')).toMatch(/^limit=3, remaining=0, reset=(5[89]|60)$/);
      const retryAfter = Number(refused.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(19);
      expect(retryAfter).toBeLessThanOrEqual(20);
      expect(limiter.limiter.stats()).toMatchObject({ allow: 3, block: 1 });
    });

    it('burst smaller than limit: `burst` at once, remaining counts down from it', async () => {
      const redis = ctx.client();
      const limiter = createLimiter({
        redis,
        name: uniqueName('gcra-burst'),
        window: '1h',
        limit: 3600,
        burst: 5,
        algorithm: 'gcra',
        commandTimeout: 5,
      });
      const decisions = await Promise.all(Array.from({ length: 20 }, () => limiter.consume('k')));
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      expect(Math.min(...decisions.map((d) => d.remaining))).toBe(0);
      expect(decisions[0]?.limit).toBe(5);
      const refused = decisions.find((d) => !d.allowed)!;
      expect(refused.retryAfterMs).toBeGreaterThan(0);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
      await expect(limiter.consume('k', 6)).rejects.toThrow(/burst 5/);
      await limiter.reset('k');
      expect((await limiter.peek('k')).used).toBe(0);
    });

    it('250 concurrent requests, limit 100 (1 unit per 36 s): exactly 100 admitted', async () => {
      const limiter = createRateLimiter({
        redis: ctx.client(),
        name: uniqueName('gcra-conc'),
        window: '1h',
        limit: 100,
        algorithm: 'gcra',
        commandTimeout: 5,
      });
      const { url } = await startApp(limiter);
      const statuses = await burst(250, url);
      expect(count(statuses, 200)).toBe(100);
      expect(count(statuses, 429)).toBe(150);
    });
  },
  ['standalone', 'cluster'],
);
