import { isRedisUnavailable, logSafeError } from '@redis-toolkit/connection';
import { SessionStoreUnavailableError } from '../errors.js';
import type { StoreContext } from '../store/context.js';

/**
 * A Redis call failed. Unavailability (outage, timeout, a write no replica confirmed) goes to the
 * policy: `'memory'` runs the local action and counts a fallback, `'deny'` throws
 * `SessionStoreUnavailableError` (→ 503). Any other error (a script bug) is rethrown as is.
 */
export function onUnavailable<T>(
  ctx: StoreContext,
  error: unknown,
  operation: string,
  local: () => T,
): T {
  if (!isRedisUnavailable(error)) throw error;
  const reason = logSafeError(error).message;
  ctx.events.emit('error', operation, 1, { reason });
  if (!ctx.memory || ctx.opts.policy !== 'memory') {
    throw new SessionStoreUnavailableError(`session store unavailable: ${operation}`, {
      cause: error,
    });
  }
  ctx.events.emit('fallback', operation, 1, { reason });
  return local();
}
