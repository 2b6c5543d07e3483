import { describeEachTopology } from '@redis-toolkit/testing';
import { rateLimit } from 'express-rate-limit';
import { describe, expect, it } from 'vitest';
import { createLimiter, LimiterStore } from '../src/index.js';
import { count, startApp, uniqueName } from './helpers.js';

// express-rate-limit's Store contract: `increment` returns totalHits INCLUDING this hit (refused
// ones too), and `decrement` is called for every skipped request — with skipFailedRequests that
// includes each 429. A store that does not count refused hits gives a unit back per 429.
describeEachTopology(
  'LimiterStore under express-rate-limit',
  (ctx) => {
    for (const algorithm of ['fixed-window', 'sliding-window'] as const) {
      describe(algorithm, () => {
        it('skipFailedRequests: 10 sequential failing requests at limit 2 admit exactly 2', async () => {
          const limiter = createLimiter({
            redis: ctx.client(),
            name: uniqueName('skipfailed'),
            window: '1m',
            limit: 2,
            algorithm,
          });
          const mw = rateLimit({
            windowMs: limiter.windowMs,
            limit: limiter.limit,
            store: new LimiterStore(limiter),
            skipFailedRequests: true,
            standardHeaders: 'draft-7',
            legacyHeaders: false,
          });
          // every admitted request succeeds, so only the 429s are "failed" (and decremented)
          const { url } = await startApp(mw);
          const statuses: number[] = [];
          for (let i = 0; i < 10; i++) {
            const res = await fetch(url);
            await res.arrayBuffer();
            statuses.push(res.status);
            // decrement runs on 'finish', after the response: let it land before the next hit
            await expect
              .poll(() => limiter.peek('127.0.0.1').then((d) => d.used))
              .toBeLessThanOrEqual(2);
          }
          expect(count(statuses, 200)).toBe(2);
          expect(count(statuses, 429)).toBe(8);
        });

        it('increment reports totalHits including the refused hit; decrement undoes it', async () => {
          const limiter = createLimiter({
            redis: ctx.client(),
            name: uniqueName('contract'),
            window: '1m',
            limit: 2,
            algorithm,
          });
          const store = new LimiterStore(limiter);
          store.init({ windowMs: 60_000, skipFailedRequests: true } as Parameters<
            LimiterStore['init']
          >[0]);
          const hits = [];
          for (let i = 0; i < 4; i++) hits.push((await store.increment('k')).totalHits);
          // fixed window: one integer counts every hit; sliding: refusals counted beside the log
          expect(hits).toEqual(algorithm === 'fixed-window' ? [1, 2, 3, 4] : [1, 2, 3, 3]);
          await store.decrement('k');
          await store.decrement('k');
          // both refused hits undone: the admitted two still count
          expect((await store.increment('k')).totalHits).toBe(3);
          expect((await limiter.peek('k')).allowed).toBe(false);
          await store.decrement('k');
          expect((await limiter.peek('k')).used).toBe(2);
        });
      });
    }
  },
  ['standalone', 'cluster'],
);
