import { describeEachTopology } from '@redis-toolkit/testing';
import { describe, expect, it } from 'vitest';
import { createRateLimiter, presets } from '../src/index.js';
import { burst, count, startApp, uniqueName } from './helpers.js';

describeEachTopology('createRateLimiter over HTTP', (ctx) => {
  for (const algorithm of ['fixed-window', 'sliding-window'] as const) {
    describe(algorithm, () => {
      it('answers 429 with RateLimit (draft-7) and Retry-After once the limit is used', async () => {
        const limiter = createRateLimiter({
          redis: ctx.client(),
          name: uniqueName('http'),
          window: '1m',
          limit: 3,
          algorithm,
          message: 'slow down',
        });
        const { url } = await startApp(limiter);
        const ok = await fetch(url);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit-policy')).toBe('3;w=60');
        expect(ok.headers.get('ratelimit')).toMatch(/^limit=3, remaining=2, reset=(59|60)$/);
        expect(ok.headers.get('retry-after')).toBeNull();
        await fetch(url);
        await fetch(url);
        const limited = await fetch(url);
        expect(limited.status).toBe(429);
        expect(await limited.json()).toEqual({
          error: { code: 'E_RATELIMIT_LIMITED', message: 'slow down' },
        });
        expect(limited.headers.get('ratelimit')).toMatch(/remaining=0/);
        const retryAfter = Number(limited.headers.get('retry-after'));
        expect(retryAfter).toBeGreaterThan(0);
        expect(retryAfter).toBeLessThanOrEqual(60);
        expect(limiter.limiter.stats()).toMatchObject({ allow: 3, block: 1 });
      });

      it('admits exactly `limit` of 250 concurrent requests', async () => {
        const limiter = createRateLimiter({
          redis: ctx.client(),
          name: uniqueName('conc'),
          window: '1m',
          limit: 100,
          algorithm,
        });
        const { url } = await startApp(limiter);
        const statuses = await burst(250, url);
        expect(count(statuses, 200)).toBe(100);
        expect(count(statuses, 429)).toBe(150);
      });
    });
  }

  it('sends draft-8 headers when asked', async () => {
    const name = uniqueName('d8');
    const limiter = createRateLimiter({
      redis: ctx.client(),
      name,
      window: '15m',
      limit: 10,
      standardHeaders: 'draft-8',
    });
    const { url } = await startApp(limiter);
    const res = await fetch(url);
    expect(res.headers.get('ratelimit')).toMatch(new RegExp(`^"${name}"; r=9; t=(899|900)$`));
    expect(res.headers.get('ratelimit-policy')).toMatch(
      new RegExp(`^"${name}"; q=10; w=900; pk=:`),
    );
  });

  it('auth preset: 5 failed attempts per IP + normalised username, successes not counted', async () => {
    const limiter = createRateLimiter({
      ...presets.auth,
      redis: ctx.client(),
      name: uniqueName('auth'),
    });
    const { url } = await startApp(limiter);
    const login = (username: string, password: string) =>
      fetch(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      }).then((r) => r.status);
    // successful logins do not use the budget
    for (let i = 0; i < 6; i++) expect(await login('alice', 'right')).toBe(200);
    // wait until the refunds (done after each response) have landed
    await expect.poll(() => limiter.limiter.peek('127.0.0.1|alice').then((d) => d.used)).toBe(0);
    const spellings = ['alice', ' Alice', 'ALICE ', 'alice', 'aLiCe'];
    for (const name of spellings) expect(await login(name, 'wrong')).toBe(401);
    expect(await login('  ALICE  ', 'wrong')).toBe(429);
    expect(await login('alice', 'right')).toBe(429);
    // another account from the same IP has its own budget
    expect(await login('bob', 'wrong')).toBe(401);
  });
});

describe('presets', () => {
  it('match the guides and can be overridden', () => {
    expect(presets.global).toMatchObject({ window: '15m', limit: 100 });
    expect(presets.auth).toMatchObject({ window: '15m', limit: 5, skipSuccessfulRequests: true });
    expect(presets.api).toMatchObject({ window: '1m', limit: 60 });
    const custom = { ...presets.api, limit: 120 };
    expect(custom.limit).toBe(120);
  });
});
