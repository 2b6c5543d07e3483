import type { RedisServer, TopologyContext } from '@redis-toolkit/testing';
import { onTestFinished } from 'vitest';

/** The servers holding data: the standalone server, every Cluster master, or the Sentinel master. */
export async function dataServers(ctx: TopologyContext): Promise<RedisServer[]> {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.masters();
  return [await ctx.sentinel!.master()];
}

/** SIGSTOP every data server; SIGCONT when the test ends (even if it fails). */
export async function pauseAll(ctx: TopologyContext): Promise<() => void> {
  const servers = await dataServers(ctx);
  for (const s of servers) s.pause();
  let resumed = false;
  const resume = () => {
    if (resumed) return;
    resumed = true;
    for (const s of servers) s.resume();
  };
  onTestFinished(resume);
  return resume;
}

export const timed = async <T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> => {
  const started = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - started };
};

/** Runs `fn` `n` times in sequence; returns each call's duration in ms. */
export async function eachDuration(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await timed(fn)).ms);
  return out;
}
