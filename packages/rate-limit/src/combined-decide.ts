import { refusedKey } from './backend.js';
import type { HttpLimit } from './http-config.js';
import type { RateLimitDecision } from './types.js';

/** One limit's decision for a request; `counted` = the request consumed a unit of it. */
export interface Outcome {
  limit: HttpLimit;
  decision: RateLimitDecision;
  counted: boolean;
}

let seq = 0;
const token = Math.random().toString(36).slice(2, 10);

/** ARGV[1] of both scripts: µs from the limiters' clock, or '' = the Redis server's TIME. */
function nowArg(active: readonly HttpLimit[]): string {
  const clock = active[0]?.limiter.resolved.clock;
  return clock ? String(Math.floor(clock()) * 1000) : '';
}

/** KEYS and ARGV of the combined script (see lua/combined.ts). */
export function combinedArgs(
  active: readonly HttpLimit[],
  key: string,
): { keys: string[]; args: string[] } {
  const keys: string[] = [];
  const args: string[] = [''];
  for (const h of active) {
    const o = h.limiter.resolved;
    keys.push(h.limiter.keyFor(key));
    if (o.algorithm === 'fixed-window') args.push('f', o.windowArg, o.limitArg, '');
    else if (o.algorithm === 'sliding-window') {
      args.push('s', o.windowArg, o.limitArg, `c${token}${(seq++).toString(36)}`);
    } else args.push('g', o.emissionArg, o.capacityArg, '');
  }
  args[0] = nowArg(active);
  return { keys, args };
}

/** KEYS and ARGV of the stacked script (see lua/stacked.ts). */
export function stackedArgs(
  active: readonly HttpLimit[],
  key: string,
): { keys: string[]; args: string[] } {
  const keys: string[] = [];
  const args: string[] = [''];
  for (const h of active) {
    const o = h.limiter.resolved;
    const full = h.limiter.keyFor(key);
    keys.push(full, refusedKey(full));
    const countRefused = h.skipFailedRequests ? '1' : '0';
    if (o.algorithm === 'fixed-window') args.push('f', o.windowArg, o.limitArg, '', '');
    else if (o.algorithm === 'sliding-window') {
      args.push('s', o.windowArg, o.limitArg, `c${token}${(seq++).toString(36)}:1`, countRefused);
    } else args.push('g', o.emissionArg, o.capacityArg, o.windowArg, countRefused);
  }
  args[0] = nowArg(active);
  return { keys, args };
}

/**
 * Stacked semantics without the script (Redis unavailable or absent): each limit's own
 * `increment` path in order (its policy included), up to the first refusal or 'deny'.
 */
export async function fallbackStacked(
  active: readonly HttpLimit[],
  key: string,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const h of active) {
    const decision = await h.limiter.hit(key, h.skipFailedRequests);
    outcomes.push({ limit: h, decision, counted: decision.source !== 'policy' });
    if (!decision.allowed) break;
  }
  return outcomes;
}

/**
 * Redis unavailable (or absent): each limit decides by its own policy, in order. A memory
 * refusal gives back what the earlier limits took, so the all-or-nothing rule holds per process.
 */
export async function fallbackDecide(
  active: readonly HttpLimit[],
  key: string,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const h of active) {
    const decision = await h.limiter.consume(key);
    const counted = decision.allowed && decision.source === 'memory';
    outcomes.push({ limit: h, decision, counted });
    if (!decision.allowed) {
      for (const o of outcomes) {
        if (o.counted) {
          o.counted = false;
          await o.limit.limiter.refund(key).catch(() => {});
        }
      }
      break;
    }
  }
  return outcomes;
}
