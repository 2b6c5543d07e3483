import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeEachTopology, type TopologyContext } from '@redis-toolkit/testing';
import { expect, it, onTestFinished } from 'vitest';
import { createLimiter } from '../src/index.js';
import { burst, count, uniqueName } from './helpers.js';

const workerFile = fileURLToPath(new URL('./fixtures/server.ts', import.meta.url));

function connectionOf(ctx: TopologyContext): Record<string, unknown> {
  if (ctx.standalone)
    return { standalone: { host: ctx.standalone.host, port: ctx.standalone.port } };
  if (ctx.cluster) return { cluster: ctx.cluster.startupNodes };
  const s = ctx.sentinel!;
  return { sentinel: { sentinels: s.sentinels, name: s.masterName } };
}

/** Starts one worker process; resolves with its URL once it listens. */
function startWorker(env: Record<string, unknown>): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(workerFile, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, RL_WORKER: JSON.stringify(env) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send('stop');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    child.once('message', (msg) =>
      resolve({ url: `http://127.0.0.1:${(msg as { port: number }).port}`, child }),
    );
  });
}

describeEachTopology('4 processes × 250 concurrent requests, limit 100', (ctx) => {
  for (const algorithm of ['fixed-window', 'sliding-window', 'gcra'] as const) {
    it(`${algorithm}: exactly 100 allowed in total`, { timeout: 90_000 }, async () => {
      const name = uniqueName(`procs-${algorithm}`);
      // GCRA frees one unit every window / limit: with 1 h that is 36 s, far beyond the burst's duration
      const window = algorithm === 'gcra' ? '1h' : '1m';
      const env = { ...connectionOf(ctx), name, limit: 100, algorithm, window };
      const workers = await Promise.all(Array.from({ length: 4 }, () => startWorker(env)));
      const statuses = (await Promise.all(workers.map((w) => burst(250, w.url)))).flat();
      expect(statuses).toHaveLength(1000);
      expect(count(statuses, 200)).toBe(100);
      expect(count(statuses, 429)).toBe(900);
    });
  }

  it('combineLimits (fixed 200/h + GCRA 100/h): exactly 100 allowed, counted once in each', {
    timeout: 90_000,
  }, async () => {
    const name = uniqueName('procs-combined');
    const other = uniqueName('procs-combined-global');
    const env = {
      ...connectionOf(ctx),
      name,
      limit: 100,
      algorithm: 'gcra',
      window: '1h',
      combinedWith: other,
    };
    const workers = await Promise.all(Array.from({ length: 4 }, () => startWorker(env)));
    const statuses = (await Promise.all(workers.map((w) => burst(250, w.url)))).flat();
    expect(count(statuses, 200)).toBe(100);
    expect(count(statuses, 429)).toBe(900);
    const redis = ctx.client();
    const global = createLimiter({ redis, name: other, window: '1h', limit: 200 });
    // the 900 refusals consumed nothing in the other limit
    expect((await global.peek('127.0.0.1')).used).toBe(100);
  });
});
