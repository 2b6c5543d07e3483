import { describeEachTopology } from '@redis-toolkit/testing';
import express from 'express';
import type { Redis as IORedis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  type Algorithm,
  combineLimits,
  createRateLimiter,
  type RateLimitMiddleware,
} from '../src/index.js';
import { startApp, uniqueName } from './helpers.js';

type Redis = Parameters<typeof createRateLimiter>[0]['redis'];

interface Spec {
  label: string;
  limit: number;
  algorithm: Algorithm;
  skipFailedRequests?: boolean;
}

// generous deadline: on a loaded machine a 500 ms timeout would start an outage (own test elsewhere)
const make = (redis: Redis, s: Spec) =>
  createRateLimiter({
    redis,
    name: uniqueName(s.label),
    window: '1h',
    limit: s.limit,
    algorithm: s.algorithm,
    commandTimeout: 5,
    ...(s.skipFailedRequests ? { skipFailedRequests: true } : {}),
  });

type Step = 'get' | 'right' | 'wrong';
const STEPS: Step[] = [
  'get',
  'wrong',
  'get',
  'right',
  'wrong',
  'get',
  'get',
  'right',
  'get',
  'get',
];

/** What a client sees, with the limiter names and the (clock-dependent) reset masked. */
async function observe(url: string, steps: Step[], names: string[]) {
  const seen: string[] = [];
  for (const step of steps) {
    const r =
      step === 'get'
        ? await fetch(url)
        : await fetch(`${url}/login`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ password: step }),
          });
    await r.arrayBuffer();
    let headers = `${r.headers.get('ratelimit')} | ${r.headers.get('ratelimit-policy')}`;
    for (const [i, name] of names.entries()) headers = headers.replaceAll(name, `limit${i}`);
    headers = headers.replace(/reset=\d+|t=\d+/g, 'reset');
    seen.push(`${r.status} ${headers} | retry-after ${r.headers.get('retry-after') !== null}`);
  }
  return seen;
}

async function state(limits: RateLimitMiddleware[]) {
  const out = [];
  for (const l of limits) {
    const { allow, block } = l.limiter.stats();
    out.push({ used: (await l.limiter.peek('127.0.0.1')).used, allow, block });
  }
  return out;
}

const CASES: Spec[][] = [
  [
    { label: 'global', limit: 6, algorithm: 'fixed-window' },
    { label: 'api', limit: 3, algorithm: 'fixed-window' },
  ],
  [
    { label: 'global', limit: 4, algorithm: 'gcra' },
    { label: 'api', limit: 6, algorithm: 'fixed-window', skipFailedRequests: true },
  ],
  [
    { label: 'global', limit: 7, algorithm: 'sliding-window', skipFailedRequests: true },
    { label: 'api', limit: 3, algorithm: 'gcra', skipFailedRequests: true },
  ],
];

async function sameAsSeparate(redis: Redis, specs: Spec[]) {
  const separate = specs.map((s) => make(redis, s));
  const combined = specs.map((s) => make(redis, s));
  const a = await startApp(((req, res, next) => {
    // the limits one after the other, as app.use(a); app.use(b) would run them
    const run = (i: number): void => {
      if (i === separate.length) {
        next();
        return;
      }
      separate[i]!(req, res, (error?: unknown) => (error ? next(error) : run(i + 1)));
    };
    run(0);
  }) as express.RequestHandler);
  const b = await startApp(combineLimits(combined, { counting: 'stacked' }));
  const seenA = await observe(
    a.url,
    STEPS,
    separate.map((l) => l.limiter.name),
  );
  const seenB = await observe(
    b.url,
    STEPS,
    combined.map((l) => l.limiter.name),
  );
  expect(seenB).toEqual(seenA);
  // a decrement (skipFailedRequests) runs after the response: let it land
  await new Promise((r) => setTimeout(r, 100));
  expect(await state(combined)).toEqual(await state(separate));
  return seenA;
}

describeEachTopology(
  "combineLimits(…, { counting: 'stacked' }): separate middlewares' semantics in one script",
  (ctx) => {
    for (const specs of CASES) {
      it(`${specs.map((s) => `${s.algorithm}${s.skipFailedRequests ? ' (skipFailedRequests)' : ''}`).join(' + ')}: statuses, headers, counts and events as the separate middlewares`, async () => {
        const seen = await sameAsSeparate(ctx.client(), specs);
        expect(seen.some((s) => s.startsWith('429'))).toBe(true);
      });
    }

    it('draft-8: each evaluated limit appends its named entry, as stacked middlewares do', async () => {
      const redis = ctx.client();
      const opts = { window: '1h', standardHeaders: 'draft-8', commandTimeout: 5 } as const;
      const a = createRateLimiter({ ...opts, redis, name: uniqueName('a'), limit: 5 });
      const b = createRateLimiter({ ...opts, redis, name: uniqueName('b'), limit: 2 });
      const { url } = await startApp(combineLimits([a, b], { counting: 'stacked' }));
      const res = await fetch(url);
      expect(res.headers.get('ratelimit')).toMatch(
        new RegExp(`^"${a.limiter.name}"; r=4; t=\\d+, "${b.limiter.name}"; r=1; t=\\d+$`),
      );
    });

    it('a limit decides a request once: mounted early for a prefix and again later', async () => {
      const redis = ctx.client();
      const global = make(redis, { label: 'global', limit: 100, algorithm: 'fixed-window' });
      const api = make(redis, { label: 'api', limit: 100, algorithm: 'gcra' });
      const both = combineLimits([global, api], { counting: 'stacked' });
      const app = express();
      app.use('/api', both);
      app.use(global);
      app.use('/api', api, both, (_req, res) => {
        res.send('api');
      });
      app.get('/other', (_req, res) => {
        res.send('other');
      });
      const { url } = await startApp(app);
      expect((await fetch(`${url}/api/x`)).status).toBe(200);
      expect((await fetch(`${url}/other`)).status).toBe(200);
      expect((await global.limiter.peek('127.0.0.1')).used).toBe(2);
      expect((await api.limiter.peek('127.0.0.1')).used).toBe(1);
    });
  },
  ['standalone', 'cluster'],
);

describeEachTopology(
  'stacked combination: round trips',
  (ctx) => {
    it('one EVALSHA per request for both limits', async () => {
      const redis = ctx.client() as IORedis;
      const global = make(redis, { label: 'global', limit: 100, algorithm: 'fixed-window' });
      const api = make(redis, { label: 'api', limit: 100, algorithm: 'gcra' });
      const { url } = await startApp(combineLimits([global, api], { counting: 'stacked' }));
      await fetch(url); // scripts loaded and cached
      const calls = async () =>
        Number(/cmdstat_evalsha:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);
      const before = await calls();
      for (let i = 0; i < 5; i++) expect((await fetch(url)).status).toBe(200);
      expect((await calls()) - before).toBe(5);
    });
  },
  ['standalone'],
);

describe('stacked combination without Redis', () => {
  it('memory-only: the same answers as the separate middlewares', async () => {
    for (const specs of CASES) await sameAsSeparate(undefined, specs);
  });

  it("refuses an unknown counting mode, naming 'counting'", () => {
    const a = make(undefined, { label: 'a', limit: 1, algorithm: 'fixed-window' });
    expect(() => combineLimits([a], { counting: 'both' } as never)).toThrow(/counting must be/);
  });
});
