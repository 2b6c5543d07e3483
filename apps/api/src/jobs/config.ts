import type { QueueConfig } from '@redis-toolkit/jobs';
import type { AppJobs } from './types.js';

/**
 * Retries and retention per queue. E-mail follows guide 003 (3 attempts, exponential backoff).
 * Reminders retry a little longer: a missed reminder is worse than a late one. A status update
 * that fails three times is stale by then, so it gives up sooner and is not kept long.
 */
export const QUEUE_CONFIG: { [K in keyof AppJobs]: QueueConfig } = {
  // An e-mail job holds its link's one-time token: kept briefly (1 h after delivery, which is also
  // how long its key deduplicates; a day after failing), not the package's 24 h / 7 d.
  email: {
    attempts: 3,
    backoff: { type: 'exponential', delay: '1s' },
    removeOnComplete: { age: '1h', count: 10_000 },
    removeOnFail: { age: '24h', count: 10_000 },
  },
  // Removed once done: the key (`appointment:<id>`) must be free again for the reminder of an
  // appointment moved after its first reminder went out; what was sent is in dental_reminders.
  'appointment-reminder': {
    attempts: 5,
    backoff: { type: 'exponential', delay: '30s' },
    removeOnComplete: true,
  },
  'follow-up-monitor': { attempts: 5, backoff: { type: 'exponential', delay: '1m' } },
  'medication-reminder': { attempts: 5, backoff: { type: 'exponential', delay: '10s' } },
  'adherence-check': { attempts: 3, backoff: { type: 'exponential', delay: '1m' } },
  'appointment-status': {
    attempts: 3,
    backoff: { type: 'fixed', delay: '1s' },
    removeOnComplete: { age: '1h', count: 10_000 },
  },
};

/** Redis keys: `api:jobs:<queue>:…` (BullMQ's layout under the package's prefix). */
export const JOBS_PREFIX = 'api:';
