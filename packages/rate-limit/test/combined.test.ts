import { describeEachTopology } from '@redis-toolkit/testing';
import { describe, expect, it } from 'vitest';
import {
  type Algorithm,
  combineLimits,
  createRateLimiter,
  RateLimitConfigError,
  type RateLimiterOptions,
} from '../src/index.js';
import { burst, count, startApp, uniqueName } from './helpers.js';

type Redis = Parameters<typeof createRateLimiter>[0]['redis'];

// a generous deadline: on a loaded machine a 500 ms timeout would start an outage and the
// memory policy would decide instead (that path has its own test below)
const limit = (
  redis: Redis,
  label: string,
  n: number,
  algorithm: Algorithm = 'fixed-window',
  more: Partial<RateLimiterOptions> = {},
) =>
  createRateLimiter({
    redis,
    name: uniqueName(label),
    window: '1h',
    limit: n,
    algorithm,
    commandTimeout: 5,
    ...more,
  });

describeEachTopology(
  'combineLimits: all limits of a request in one script',
  (ctx) => {
    it('a request refused by one limit consumes none of them', async () => {
      const redis = ctx.client();
      const global = limit(redis, 'global', 10);
      const api = limit(redis, 'api', 4);
      const { url } = await startApp(combineLimits([global, api]));
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await fetch(url)).status);
      expect(count(statuses, 200)).toBe(4);
      expect(count(statuses, 429)).toBe(8);
      // only the 4 admitted requests counted in global; the 8 refusals counted nowhere
      expect((await global.limiter.peek('127.0.0.1')).used).toBe(4);
      expect((await api.limiter.peek('127.0.0.1')).used).toBe(4);
      expect(global.limiter.stats()).toMatchObject({ allow: 4, block: 0 });
      expect(api.limiter.stats()).toMatchObject({ allow: 4, block: 8 });
    });

    it('sends the headers of the most restrictive limit (draft-7)', async () => {
      const redis = ctx.client();
      const global = limit(redis, 'global', 3);
      const api = limit(redis, 'api', 50);
      const { url } = await startApp(combineLimits([api, global]));
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toBe('3;w=3600');
      expect(ok.headers.get('ratelimit')).toMatch(/^limit=3, remaining=2, reset=(3599|3600)$/);
      await fetch(url);
      await fetch(url);
      const refused = await fetch(url);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('ratelimit')).toMatch(/^limit=3, remaining=0, reset=/);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);
      expect(await refused.json()).toEqual({
        error: {
          code: 'E_RATELIMIT_LIMITED',
          message: 'Too many requests, please try again later.',
        },
      });
      expect((await api.limiter.peek('127.0.0.1')).used).toBe(3);
    });

    for (const algorithms of [
      ['fixed-window', 'sliding-window', 'gcra'],
      ['gcra', 'fixed-window'],
      ['sliding-window', 'gcra'],
    ] as Algorithm[][]) {
      it(`250 concurrent requests, ${algorithms.join(' + ')}: exactly the smallest limit admitted, counted in each`, async () => {
        const redis = ctx.client();
        const limits = algorithms.map((a, i) => limit(redis, `mix-${a}`, 60 + 20 * i, a));
        const { url } = await startApp(combineLimits(limits));
        const statuses = await burst(250, url);
        expect(count(statuses, 200)).toBe(60);
        expect(count(statuses, 429)).toBe(190);
        for (const l of limits) expect((await l.limiter.peek('127.0.0.1')).used).toBe(60);
      });
    }

    it('skip, skipSuccessfulRequests and req.rateLimit per limit', async () => {
      const redis = ctx.client();
      const global = limit(redis, 'global', 100);
      const auth = createRateLimiter({
        redis,
        name: uniqueName('auth'),
        window: '1h',
        limit: 2,
        algorithm: 'gcra',
        skipSuccessfulRequests: true,
        skip: (req) => req.method === 'GET',
      });
      const { url, app } = await startApp(combineLimits([global, auth]));
      app.get('/info', (req, res) => {
        res.json((req as unknown as { rateLimit: unknown }).rateLimit);
      });
      for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);
      const post = (password: string) =>
        fetch(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ password }),
        }).then((r) => r.status);
      expect(await post('right')).toBe(200);
      expect(await post('right')).toBe(200);
      expect(await post('right')).toBe(200); // successful logins were given back
      expect(await post('wrong')).toBe(401);
      expect(await post('wrong')).toBe(401);
      expect(await post('right')).toBe(429);
      const info = (await (await fetch(`${url}/info`)).json()) as Record<string, unknown>;
      expect(info).toMatchObject({ limit: 100, key: '127.0.0.1' });
      // 3 GETs + 5 admitted POSTs + /info; the refused POST counted nowhere
      expect(info.used).toBe(9);
    });

    it('a skip that answers with a promise decides as one that answers at once', async () => {
      const redis = ctx.client();
      const global = limit(redis, 'global', 100);
      const writes = limit(redis, 'writes', 2, 'fixed-window', {
        skip: async (req) => req.method === 'GET',
      });
      const { url } = await startApp(combineLimits([global, writes], { counting: 'stacked' }));
      for (let i = 0; i < 3; i++) expect((await fetch(url)).status).toBe(200);
      const post = () =>
        fetch(`${url}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ password: 'right' }),
        }).then((r) => r.status);
      expect([await post(), await post(), await post()]).toEqual([200, 200, 429]);
      expect((await global.limiter.peek('127.0.0.1')).used).toBe(6);
      expect((await writes.limiter.peek('127.0.0.1')).used).toBe(3);
    });

    it('draft-8 names the most restrictive limit; legacy headers', async () => {
      const redis = ctx.client();
      const a = limit(redis, 'a', 5);
      const b = limit(redis, 'b', 2);
      const { url } = await startApp(
        combineLimits([a, b], { standardHeaders: 'draft-8', legacyHeaders: true }),
      );
      const res = await fetch(url);
      expect(res.headers.get('ratelimit')).toMatch(
        new RegExp(`^"${b.limiter.name}"; r=1; t=(3599|3600)$`),
      );
      expect(res.headers.get('ratelimit-policy')).toMatch(/; q=2; w=3600; pk=:/);
      expect(res.headers.get('x-ratelimit-limit')).toBe('2');
      expect(res.headers.get('x-ratelimit-remaining')).toBe('1');
    });
  },
  ['standalone', 'cluster'],
);

describe('combineLimits without Redis and with bad options', () => {
  it('memory-only: the same all-or-nothing counting in this process', async () => {
    const global = limit(undefined, 'global', 10);
    const api = limit(undefined, 'api', 3, 'gcra');
    const { url } = await startApp(combineLimits([global, api]));
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await fetch(url)).status);
    expect(count(statuses, 200)).toBe(3);
    expect((await global.limiter.peek('127.0.0.1')).used).toBe(3);
    expect(global.limiter.stats().redis).toBe('absent');
  });

  it('refuses limits with different keys, foreign middlewares and unknown options', () => {
    const a = limit(undefined, 'a', 1);
    const b = createRateLimiter({
      name: uniqueName('b'),
      window: '1m',
      limit: 1,
      keyBy: () => 'x',
    });
    expect(() => combineLimits([a, b])).toThrow(RateLimitConfigError);
    expect(() => combineLimits([a, b])).toThrow(/same keyBy/);
    expect(() => combineLimits([a, (() => {}) as never])).toThrow(/createRateLimiter/);
    expect(() => combineLimits([])).toThrow(RateLimitConfigError);
    expect(() => combineLimits([a, a])).toThrow(/appears twice/);
    expect(() => combineLimits([a], { legacyHeader: true } as never)).toThrow(/legacyHeaders/);
  });
});
