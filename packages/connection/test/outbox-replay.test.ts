import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeEachTopology, waitUntil } from '@redis-toolkit/testing';
import { expect, it, onTestFinished } from 'vitest';
import {
  createFileOutbox,
  type OutboxEntry,
  type RedisClient,
  RedisRuntime,
  startOutboxReplay,
} from '../src/index.js';

/** A file outbox (removed after the test) holding entries e0…e<count - 1>, and a runtime that is up. */
async function setUp(client: RedisClient, count: number) {
  const runtime = RedisRuntime.for(client);
  await waitUntil(() => runtime.available, { timeoutMs: 20_000, what: 'runtime up' });
  const directory = mkdtempSync(join(tmpdir(), 'replay-'));
  onTestFinished(() => rmSync(directory, { recursive: true, force: true }));
  const outbox = createFileOutbox<{ n: number }>({ directory });
  for (let n = 0; n < count; n++) {
    await outbox.append({ id: `e${n}`, kind: 'test', payload: { n }, createdAt: Date.now() });
  }
  return { runtime, outbox };
}

describeEachTopology(
  'outbox replay',
  (ctx) => {
    it('a replay that reports some entries done removes only those; the rest drain later', async () => {
      const { runtime, outbox } = await setUp(ctx.client(), 10);
      const written: number[] = [];
      let failing = true;
      const replayer = startOutboxReplay({
        runtime,
        outbox,
        intervalMs: 60_000,
        batchSize: 4,
        // while `failing`, each batch's last entry "times out": the others are written and reported
        replay: async (entries: OutboxEntry<{ n: number }>[]) => {
          const done = failing ? entries.slice(0, -1) : entries;
          for (const e of done) written.push(e.payload.n);
          return done.map((e) => e.id);
        },
      });
      onTestFinished(() => replayer.stop());
      // each drain keeps the 3 written entries of its batch of 4 and stops: 10 → 7 → 4 → 1, and a
      // batch of one that fails moves nothing
      await waitUntil(
        async () => {
          await replayer.drain();
          return (await outbox.size()) === 1;
        },
        { what: 'partial drains down to the one failing entry' },
      );
      expect(await replayer.drain()).toBe(0);
      expect(await outbox.size()).toBe(1);
      failing = false;
      expect(await replayer.drain()).toBe(1);
      expect(await outbox.size()).toBe(0);
      // every entry written, none removed before it was
      expect([...new Set(written)].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('a replay that resolves with nothing removes the whole batch, as before', async () => {
      const { runtime, outbox } = await setUp(ctx.client(), 5);
      const replayer = startOutboxReplay({
        runtime,
        outbox,
        intervalMs: 60_000,
        batchSize: 2,
        replay: async () => {},
      });
      onTestFinished(() => replayer.stop());
      await waitUntil(async () => (await outbox.size()) === 0, { what: 'outbox drained' });
    });
  },
  ['standalone'],
);
