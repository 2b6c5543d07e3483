import type { RedisServer, TopologyContext } from '@redis-toolkit/testing';
import { onTestFinished } from 'vitest';
import type { JobQueues, JobWorker } from '../src/index.js';

let counter = 0;
/** A prefix no other test uses, so tests sharing a server never share keys. */
export const uniquePrefix = (label: string): string =>
  `${label}-${process.pid}-${Date.now().toString(36)}-${counter++}:`;

/** Closes workers then queues after a test. */
export function closer() {
  const items: (JobQueues<never> | JobWorker | { close(): Promise<void> })[] = [];
  return {
    track<T extends { close(): Promise<void> }>(item: T): T {
      items.push(item);
      return item;
    },
    async closeAll() {
      for (const item of items.splice(0).reverse()) await item.close();
    },
  };
}

/** Every data-bearing server of the topology (not the sentinels: they keep answering). */
export function serversOf(ctx: TopologyContext): RedisServer[] {
  if (ctx.standalone) return [ctx.standalone];
  if (ctx.cluster) return ctx.cluster.nodes;
  return ctx.sentinel?.servers ?? [];
}

/** SIGSTOP every data server; SIGCONT when the test ends (even if it fails) or on the call returned. */
export function pauseAll(ctx: TopologyContext): () => void {
  const servers = serversOf(ctx);
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
