import { describeEachTopology } from '@redis-toolkit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLimiter } from '../src/index.js';
import { MemoryBackend } from '../src/memory-backend.js';
import { uniqueName } from './helpers.js';

interface Arrival {
  gap: number;
  cost: number;
}

/** Random traffic: a limit, a window, and arrivals with random gaps (bursts included) and costs. */
const traffic = fc
  .record({
    limit: fc.integer({ min: 1, max: 6 }),
    windowMs: fc.integer({ min: 1_000, max: 60_000 }),
  })
  .chain(({ limit, windowMs }) =>
    fc.record({
      limit: fc.constant(limit),
      windowMs: fc.constant(windowMs),
      arrivals: fc.array(
        fc.record({
          gap: fc.oneof(
            // edges: same ms, 1 ms, exactly one window, one window ± 1 ms, an even spread
            fc.constantFrom(
              0,
              1,
              windowMs - 1,
              windowMs,
              windowMs + 1,
              Math.floor(windowMs / limit),
            ),
            fc.integer({ min: 0, max: Math.ceil(windowMs / 4) }),
            fc.integer({ min: 0, max: windowMs * 2 }),
          ),
          cost: fc.integer({ min: 1, max: limit }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
    }),
  );

/**
 * Checks a run: no window (t - W, t] ever holds more than `limit` admitted units, and the limiter is
 * not stricter than that either: a request is admitted exactly when it fits.
 */
function check(
  limit: number,
  windowMs: number,
  decisions: { t: number; cost: number; allowed: boolean }[],
): void {
  const admitted: { t: number; cost: number }[] = [];
  for (const d of decisions) {
    const inWindow = admitted.filter((a) => a.t > d.t - windowMs).reduce((s, a) => s + a.cost, 0);
    expect({ t: d.t, allowed: d.allowed }).toEqual({ t: d.t, allowed: inWindow + d.cost <= limit });
    if (d.allowed) admitted.push({ t: d.t, cost: d.cost });
  }
  for (const a of admitted) {
    const sum = admitted
      .filter((b) => b.t > a.t - windowMs && b.t <= a.t)
      .reduce((s, b) => s + b.cost, 0);
    expect(sum).toBeLessThanOrEqual(limit);
  }
}

describeEachTopology(
  'sliding window property (Lua script, virtual clock)',
  (ctx) => {
    it('never admits more than `limit` in any window, and admits whatever fits', async () => {
      const redis = ctx.client();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(traffic, async ({ limit, windowMs, arrivals }) => {
          let now = 1_700_000_000_000;
          const limiter = createLimiter({
            redis,
            name: uniqueName('prop'),
            window: `${windowMs}ms`,
            limit,
            algorithm: 'sliding-window',
            clock: () => now,
          });
          const key = `run-${run++}`;
          const decisions = [];
          for (const a of arrivals as Arrival[]) {
            now += a.gap;
            const d = await limiter.consume(key, a.cost);
            expect(d.source).toBe('redis');
            if (!d.allowed) {
              // retryAfter is exact: at that moment the same cost fits
              const retryAt = now + d.retryAfterMs;
              const saved = now;
              now = retryAt - 1;
              expect((await limiter.peek(key)).used + a.cost).toBeGreaterThan(limit);
              now = retryAt;
              expect((await limiter.peek(key)).used + a.cost).toBeLessThanOrEqual(limit);
              now = saved;
            }
            decisions.push({ t: now, cost: a.cost, allowed: d.allowed });
          }
          check(limit, windowMs, decisions);
        }),
        { numRuns: 150, seed: 20261123 },
      );
    });
  },
  ['standalone', 'cluster'],
);

describe('sliding window property (memory fallback, same algorithm)', () => {
  it('never admits more than `limit` in any window, and admits whatever fits', async () => {
    await fc.assert(
      fc.asyncProperty(traffic, async ({ limit, windowMs, arrivals }) => {
        let now = 1_700_000_000_000;
        const memory = new MemoryBackend('sliding-window', windowMs, limit, 100, () => now);
        const decisions = [];
        for (const a of arrivals as Arrival[]) {
          now += a.gap;
          const d = await memory.consume('k', a.cost);
          decisions.push({ t: now, cost: a.cost, allowed: d.allowed });
        }
        check(limit, windowMs, decisions);
      }),
      { numRuns: 500, seed: 20261123 },
    );
  });
});
