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
    if (o.algorithm === 'fixed-window') args.push('f', String(o.windowMs), String(o.limit), '');
    else if (o.algorithm === 'sliding-window') {
      args.push('s', String(o.windowMs), String(o.limit), `c${token}${(seq++).toString(36)}`);
    } else args.push('g', String(o.emissionUs), String(o.capacity), '');
  }
  const clock = active[0]?.limiter.resolved.clock;
  if (clock) args[0] = String(Math.floor(clock()) * 1000);
  return { keys, args };
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
