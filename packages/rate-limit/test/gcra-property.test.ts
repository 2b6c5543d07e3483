import { describeEachTopology } from '@redis-toolkit/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryGcra } from '../src/gcra-memory.js';
import { createLimiter } from '../src/index.js';
import { uniqueName } from './helpers.js';

/** Random traffic: limit, window, burst, arrivals with random gaps (edges included) and costs. */
const traffic = fc
  .record({
    limit: fc.integer({ min: 1, max: 8 }),
    windowMs: fc.integer({ min: 1_000, max: 60_000 }),
    burstDelta: fc.integer({ min: -7, max: 4 }),
  })
  .chain(({ limit, windowMs, burstDelta }) => {
    const burst = Math.max(1, limit + burstDelta);
    return fc.record({
      limit: fc.constant(limit),
      windowMs: fc.constant(windowMs),
      burst: fc.constant(burst),
      arrivals: fc.array(
        fc.record({
          gap: fc.oneof(
            fc.constantFrom(
              0,
              1,
              windowMs - 1,
              windowMs,
              windowMs + 1,
              Math.floor(windowMs / limit),
              Math.ceil(windowMs / limit),
            ),
            fc.integer({ min: 0, max: Math.ceil(windowMs / 4) }),
            fc.integer({ min: 0, max: windowMs * 2 }),
          ),
          cost: fc.integer({ min: 1, max: burst }),
        }),
        { minLength: 1, maxLength: 40 },
      ),
    });
  });

/**
 * The reference: a leaky bucket (the continuous form of GCRA) in µs of work. It drains 1 µs per µs;
 * a unit weighs T = window / limit (rounded up to the µs); `cost` fits when the level plus
 * cost × T stays within burst × T.
 */
class LeakyBucket {
  private level = 0;
  private last = 0;
  constructor(
    private readonly T: number,
    private readonly burst: number,
  ) {}
  offer(tMs: number, cost: number): boolean {
    const now = tMs * 1000;
    this.level = Math.max(0, this.level - (now - this.last));
    this.last = now;
    if (this.level + cost * this.T > this.burst * this.T) return false;
    this.level += cost * this.T;
    return true;
  }
}

interface Decision {
  t: number;
  cost: number;
  allowed: boolean;
}

/** Same decisions as the reference, and no interval holds more than burst + its length / T. */
function check(limit: number, windowMs: number, burst: number, decisions: Decision[]): void {
  const T = Math.ceil((windowMs * 1000) / limit);
  const ref = new LeakyBucket(T, burst);
  for (const d of decisions) {
    expect({ t: d.t, allowed: d.allowed }).toEqual({ t: d.t, allowed: ref.offer(d.t, d.cost) });
  }
  const admitted = decisions.filter((d) => d.allowed);
  for (const a of admitted) {
    let sum = 0;
    for (const b of admitted) {
      if (b.t < a.t) continue;
      sum += b.cost;
      // no 2× edge burst: at most `burst` at one instant, then the sustained rate
      expect(sum).toBeLessThanOrEqual(burst + Math.floor(((b.t - a.t) * 1000) / T));
    }
  }
}

describeEachTopology(
  'GCRA property (Lua script, virtual clock) against a leaky-bucket reference',
  (ctx) => {
    it('decides exactly as the reference; retryAfterMs is exact to the ms', async () => {
      const redis = ctx.client();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(traffic, async ({ limit, windowMs, burst, arrivals }) => {
          let now = 1_700_000_000_000;
          const limiter = createLimiter({
            redis,
            name: uniqueName('gcra-prop'),
            window: `${windowMs}ms`,
            limit,
            burst,
            algorithm: 'gcra',
            clock: () => now,
          });
          const key = `run-${run++}`;
          const decisions: Decision[] = [];
          for (const a of arrivals) {
            now += a.gap;
            const d = await limiter.consume(key, a.cost);
            expect(d.source).toBe('redis');
            expect(d.remaining).toBeGreaterThanOrEqual(0);
            expect(d.remaining).toBeLessThanOrEqual(burst);
            if (!d.allowed) {
              const saved = now;
              now = saved + d.retryAfterMs - 1;
              expect((await limiter.peek(key)).used + a.cost).toBeGreaterThan(burst);
              now = saved + d.retryAfterMs;
              expect((await limiter.peek(key)).used + a.cost).toBeLessThanOrEqual(burst);
              now = saved;
            }
            decisions.push({ t: now, cost: a.cost, allowed: d.allowed });
          }
          check(limit, windowMs, burst, decisions);
        }),
        { numRuns: 150, seed: 20261201 },
      );
    });
  },
  ['standalone', 'cluster'],
);

describe('GCRA property (memory fallback, same arithmetic)', () => {
  it('decides exactly as the reference', async () => {
    await fc.assert(
      fc.asyncProperty(traffic, async ({ limit, windowMs, burst, arrivals }) => {
        let now = 1_700_000_000_000;
        const T = Math.ceil((windowMs * 1000) / limit);
        const memory = new MemoryGcra(T, burst, windowMs, 100, () => now);
        const decisions: Decision[] = [];
        for (const a of arrivals) {
          now += a.gap;
          const d = await memory.consume('k', a.cost);
          decisions.push({ t: now, cost: a.cost, allowed: d.allowed });
        }
        check(limit, windowMs, burst, decisions);
      }),
      { numRuns: 500, seed: 20261201 },
    );
  });

  it('a full window of steady traffic after a burst: burst + limit - 1 per window, never 2 × limit at an edge', async () => {
    let now = 1_700_000_000_000;
    const memory = new MemoryGcra(Math.ceil((60_000 * 1000) / 10), 10, 60_000, 100, () => now);
    const admittedAt: number[] = [];
    for (let i = 0; i < 30; i++) if ((await memory.consume('k', 1)).allowed) admittedAt.push(now);
    for (let i = 0; i < 400; i++) {
      now += 500;
      if ((await memory.consume('k', 1)).allowed) admittedAt.push(now);
    }
    // at most 10 at once, then one per 6 s
    expect(admittedAt.filter((t) => t < admittedAt[0]! + 1000)).toHaveLength(10);
    for (const a of admittedAt) {
      expect(admittedAt.filter((t) => t >= a && t < a + 60_000).length).toBeLessThanOrEqual(19);
    }
  });
});
