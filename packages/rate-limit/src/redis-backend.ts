import { randomBytes } from 'node:crypto';
import type { RedisClient } from '@redis-toolkit/connection';
import type { Backend, RawDecision } from './backend.js';
import { fixedWindowConsume, fixedWindowPeek, fixedWindowRefund } from './lua/fixed-window.js';
import type { LuaScript } from './lua/script.js';
import {
  slidingWindowConsume,
  slidingWindowPeek,
  slidingWindowRefund,
} from './lua/sliding-window.js';
import { ScriptRunner } from './scripts.js';
import type { Algorithm } from './types.js';

export const ALL_SCRIPTS: readonly LuaScript[] = [
  fixedWindowConsume,
  fixedWindowPeek,
  fixedWindowRefund,
  slidingWindowConsume,
  slidingWindowPeek,
  slidingWindowRefund,
];

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

function triple(reply: unknown): [number, number, number, number] {
  if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
  return [num(reply[0]), num(reply[1]), num(reply[2]), num(reply[3] ?? 0)];
}

export interface RedisBackendOptions {
  redis: RedisClient;
  algorithm: Algorithm;
  windowMs: number;
  limit: number;
  clock?: (() => number) | undefined;
}

/** The algorithms as Lua scripts: one round trip per decision, atomic on the key's node. */
export class RedisBackend implements Backend {
  readonly runner: ScriptRunner;
  private readonly algorithm: Algorithm;
  private readonly windowMs: number;
  private readonly limit: number;
  private readonly clock: (() => number) | undefined;
  /** Unique sliding-log members: a random per-instance token plus a counter. */
  private readonly token = randomBytes(6).toString('base64url');
  private seq = 0;
  /** Arguments that never change, stringified once. */
  private readonly windowArg: string;
  private readonly limitArg: string;

  constructor(options: RedisBackendOptions) {
    this.runner = new ScriptRunner(options.redis);
    this.algorithm = options.algorithm;
    this.windowMs = options.windowMs;
    this.limit = options.limit;
    this.clock = options.clock;
    this.windowArg = String(options.windowMs);
    this.limitArg = String(options.limit);
  }

  private now(): string {
    return this.clock ? String(Math.floor(this.clock())) : '';
  }

  consume(key: string, cost: number): Promise<RawDecision> {
    if (this.algorithm === 'fixed-window') {
      return this.runner
        .run(fixedWindowConsume, key, [this.windowArg, cost, this.limitArg])
        .then((reply) => {
          const [ok, used, ttl] = triple(reply);
          return { allowed: ok === 1, used, resetInMs: ttl, retryAfterMs: ok === 1 ? 0 : ttl };
        });
    }
    const member = `${this.token}${(this.seq++).toString(36)}`;
    return this.runner
      .run(slidingWindowConsume, key, [this.windowArg, cost, this.limitArg, member, this.now()])
      .then((reply) => {
        const [ok, used, resetIn, retry] = triple(reply);
        return { allowed: ok === 1, used, resetInMs: resetIn, retryAfterMs: retry };
      });
  }

  async peek(key: string): Promise<RawDecision> {
    if (this.algorithm === 'fixed-window') {
      const [used, ttl] = triple(await this.runner.run(fixedWindowPeek, key, [this.windowMs]));
      const allowed = used < this.limit;
      return { allowed, used, resetInMs: ttl, retryAfterMs: allowed ? 0 : ttl };
    }
    const [used, resetIn, retry] = triple(
      await this.runner.run(slidingWindowPeek, key, [this.windowMs, this.limit, this.now()]),
    );
    return { allowed: used < this.limit, used, resetInMs: resetIn, retryAfterMs: retry };
  }

  async refund(key: string, cost: number): Promise<void> {
    if (this.algorithm === 'fixed-window') {
      await this.runner.run(fixedWindowRefund, key, [cost]);
    } else {
      await this.runner.run(slidingWindowRefund, key, [this.windowMs, cost, this.now()]);
    }
  }

  async reset(key: string): Promise<void> {
    await this.runner.redis.del(key);
  }
}
