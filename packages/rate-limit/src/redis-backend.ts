import { randomBytes } from 'node:crypto';
import { type LuaScript, type RedisRuntime, runScript } from '@redis-toolkit/connection';
import { type Backend, type RawDecision, refusedKey } from './backend.js';
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
export class RedisBackend implements Backend {
  /** Unique per process, so sliding-window members from different processes never collide. */
  private readonly token = randomBytes(6).toString('base64url');
  private seq = 0;
  private readonly windowArg: string;
  private readonly limitArg: string;

  constructor(
    private readonly runtime: RedisRuntime,
    private readonly o: ResolvedLimiterOptions,
  ) {
    this.windowArg = String(o.windowMs);
    this.limitArg = String(o.limit);
  }

  private now(): string {
    return this.o.clock ? String(Math.floor(this.o.clock())) : '';
  }

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.runtime, script, keys, args, this.o.commandTimeoutMs);
  }

  private member(): string {
    return `${this.token}${(this.seq++).toString(36)}`;
  }

  consume(key: string, cost: number): Promise<RawDecision> {
    if (this.o.algorithm === 'fixed-window') {
      return this.run(fixedWindowConsume, [key], [this.windowArg, cost, this.limitArg]).then(
        (reply) => {
          const [ok, used, ttl] = quad(reply);
          return { allowed: ok === 1, used, resetInMs: ttl, retryAfterMs: ok === 1 ? 0 : ttl };
        },
      );
    }
    return this.run(
      slidingWindowConsume,
      [key],
      [this.windowArg, cost, this.limitArg, this.member(), this.now()],
    ).then((reply) => {
      const [ok, used, resetIn, retry] = quad(reply);
      return { allowed: ok === 1, used, resetInMs: resetIn, retryAfterMs: retry };
    });
  }

  hit(key: string, countRefused: boolean): Promise<RawDecision> {
    if (this.o.algorithm === 'fixed-window') {
      return this.run(fixedWindowHit, [key], [this.windowArg]).then((reply) => {
        const [used, ttl] = quad(reply);
        const allowed = used <= this.o.limit;
        return { allowed, used, resetInMs: ttl, retryAfterMs: allowed ? 0 : ttl };
      });
    }
    return this.run(
      slidingWindowHit,
      [key, refusedKey(key)],
      [this.windowArg, this.limitArg, `${this.member()}:1`, this.now(), countRefused ? '1' : '0'],
    ).then((reply) => {
      const [ok, used, resetIn, retry] = quad(reply);
      return { allowed: ok === 1, used, resetInMs: resetIn, retryAfterMs: retry };
    });
  }

  async unhit(key: string): Promise<void> {
    if (this.o.algorithm === 'fixed-window') {
      await this.run(fixedWindowRefund, [key], [1]);
    } else {
      await this.run(slidingWindowDecrement, [key, refusedKey(key)], [this.windowArg, this.now()]);
    }
  }

  async peek(key: string): Promise<RawDecision> {
    if (this.o.algorithm === 'fixed-window') {
      const [used, ttl] = quad(await this.run(fixedWindowPeek, [key], [this.windowArg]));
      const allowed = used < this.o.limit;
      return { allowed, used, resetInMs: ttl, retryAfterMs: allowed ? 0 : ttl };
    }
    const [used, resetIn, retry] = quad(
      await this.run(slidingWindowPeek, [key], [this.windowArg, this.limitArg, this.now()]),
    );
    return { allowed: used < this.o.limit, used, resetInMs: resetIn, retryAfterMs: retry };
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
