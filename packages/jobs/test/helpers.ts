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
