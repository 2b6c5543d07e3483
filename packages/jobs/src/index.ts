export {
  errors,
  JobsConfigError,
  JobsInputError,
  JobsUnavailableError,
} from './errors.js';
export { createQueues } from './queues.js';
export type {
  AddOptions,
  BackoffConfig,
  EnqueueResult,
  EnqueueState,
  FallbackMode,
  JobContext,
  JobCounts,
  JobHandler,
  JobMap,
  JobQueues,
  JobsOptions,
  JobsStats,
  JobWorker,
  KeepJobs,
  OutboxJob,
  QueueConfig,
  RepeatSpec,
  ScheduleOptions,
  When,
  WorkerOptions,
} from './types.js';
export { createWorker } from './worker.js';
