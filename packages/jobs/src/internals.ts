import type { Logger, ToolkitEvents } from '@redis-toolkit/connection';
import type { Plumbing } from './connection.js';
import type { InlineRunner } from './inline.js';
import type { ResolvedQueue } from './options.js';
import type { JobQueues } from './types.js';

/** What `createWorker` needs from a `createQueues` result, kept out of the public type. */
export interface QueuesInternals {
  plumbing: Plumbing | undefined;
  inline: InlineRunner | undefined;
  queues: Map<string, ResolvedQueue>;
  events: Map<string, ToolkitEvents>;
  logger: Logger;
}

export const internalsOf = new WeakMap<JobQueues<never> | object, QueuesInternals>();
