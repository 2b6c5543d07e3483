import { randomBytes } from 'node:crypto';
import type { LuaScript, RedisRuntime } from '@redis-toolkit/connection';
import { type DecisionKind, type RawDecision, refusedKey } from './backend.js';
import {
  fixedWindowConsume,
  fixedWindowHit,
  fixedWindowPeek,
  fixedWindowRefund,
} from './lua/fixed-window.js';
import { slidingWindowDecrement, slidingWindowHit } from './lua/sliding-store.js';
import {
  slidingWindowConsume,
  slidingWindowPeek,
  slidingWindowRefund,
} from './lua/sliding-window.js';
import type { ResolvedLimiterOptions } from './options.js';
import { ScriptBackend } from './script-backend.js';

export const FIXED_SCRIPTS: readonly LuaScript[] = [
  fixedWindowConsume,
  fixedWindowPeek,
  fixedWindowRefund,
  fixedWindowHit,
];

export const SLIDING_SCRIPTS: readonly LuaScript[] = [
  slidingWindowConsume,
  slidingWindowPeek,
  slidingWindowRefund,
  slidingWindowHit,
  slidingWindowDecrement,
];

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

function quad(reply: unknown): [number, number, number, number] {
  if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
  return [num(reply[0]), num(reply[1]), num(reply[2]), num(reply[3] ?? 0)];
}

/**
 * Both algorithms as Lua scripts, each call through the shared runtime (deadline, outage state,
 * NOSCRIPT recovery). One script per decision, so concurrent processes stay exact.
 */
export class RedisBackend extends ScriptBackend {
  /** Unique per process, so sliding-window members from different processes never collide. */
  private readonly token = randomBytes(6).toString('base64url');
  private seq = 0;
  private readonly windowArg: string;
  private readonly limitArg: string;

  constructor(runtime: RedisRuntime, o: ResolvedLimiterOptions) {
    super(runtime, o);
    this.windowArg = o.windowArg;
    this.limitArg = o.limitArg;
  }

  private now(): string {
    return this.o.clock ? String(Math.floor(this.o.clock())) : '';
  }

  private member(): string {
    return `${this.token}${(this.seq++).toString(36)}`;
  }

  send(kind: DecisionKind, key: string, arg: number): Promise<unknown> {
    if (this.o.algorithm === 'fixed-window') {
      if (kind === 'consume') {
        return this.run(fixedWindowConsume, [key], [this.windowArg, arg, this.limitArg]);
      }
      return this.run(kind === 'hit' ? fixedWindowHit : fixedWindowPeek, [key], [this.windowArg]);
    }
    if (kind === 'consume') {
      return this.run(
        slidingWindowConsume,
        [key],
        [this.windowArg, arg, this.limitArg, this.member(), this.now()],
      );
    }
    if (kind === 'hit') {
      return this.run(
        slidingWindowHit,
        [key, refusedKey(key)],
        [this.windowArg, this.limitArg, `${this.member()}:1`, this.now(), arg === 1 ? '1' : '0'],
      );
    }
    return this.run(slidingWindowPeek, [key], [this.windowArg, this.limitArg, this.now()]);
  }

  decode(kind: DecisionKind, reply: unknown): RawDecision {
    const [a, b, c, d] = quad(reply);
    if (this.o.algorithm === 'fixed-window') {
      if (kind === 'consume') {
        return { allowed: a === 1, used: b, resetInMs: c, retryAfterMs: a === 1 ? 0 : c };
      }
      // hit: { hits including this one, ttl } · peek: { hits, ttl }
      const allowed = kind === 'hit' ? a <= this.o.limit : a < this.o.limit;
      return { allowed, used: a, resetInMs: b, retryAfterMs: allowed ? 0 : b };
    }
    if (kind === 'peek')
      return { allowed: a < this.o.limit, used: a, resetInMs: b, retryAfterMs: c };
    return { allowed: a === 1, used: b, resetInMs: c, retryAfterMs: d };
  }

  async unhit(key: string): Promise<void> {
    if (this.o.algorithm === 'fixed-window') {
      await this.run(fixedWindowRefund, [key], [1]);
    } else {
      await this.run(slidingWindowDecrement, [key, refusedKey(key)], [this.windowArg, this.now()]);
    }
  }

  async refund(key: string, cost: number): Promise<void> {
    if (this.o.algorithm === 'fixed-window') {
      await this.run(fixedWindowRefund, [key], [cost]);
    } else {
      await this.run(slidingWindowRefund, [key], [this.windowArg, cost, this.now()]);
    }
  }

  async reset(key: string): Promise<void> {
    const client = this.runtime.client;
    const keys = this.o.algorithm === 'fixed-window' ? [key] : [key, refusedKey(key)];
    await this.runtime.run('reset', () => client.del(...keys), this.o.commandTimeoutMs);
  }
}
