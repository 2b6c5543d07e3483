import type { LuaScript, RedisRuntime } from '@redis-toolkit/connection';
import { type DecisionKind, type RawDecision, refusedKey } from './backend.js';
import { gcraConsume, gcraDecrement, gcraHit, gcraPeek, gcraRefund } from './lua/gcra.js';
import type { ResolvedLimiterOptions } from './options.js';
import { ScriptBackend } from './script-backend.js';

export const GCRA_SCRIPTS: readonly LuaScript[] = [
  gcraConsume,
  gcraPeek,
  gcraRefund,
  gcraHit,
  gcraDecrement,
];

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

/** GCRA in Redis: one key (TAT) per client key, one script per decision. */
export class RedisGcraBackend extends ScriptBackend {
  private readonly tArg: string;
  private readonly burstArg: string;
  private readonly windowArg: string;

  constructor(runtime: RedisRuntime, o: ResolvedLimiterOptions) {
    super(runtime, o);
    this.tArg = o.emissionArg;
    this.burstArg = o.capacityArg;
    this.windowArg = o.windowArg;
  }

  /** µs for the script, or '' = the Redis server's TIME. */
  private now(): string {
    return this.o.clock ? String(Math.floor(this.o.clock()) * 1000) : '';
  }

  send(kind: DecisionKind, key: string, arg: number): Promise<unknown> {
    if (kind === 'consume') {
      return this.run(gcraConsume, [key], [this.tArg, this.burstArg, arg, this.now()]);
    }
    if (kind === 'hit') {
      return this.run(
        gcraHit,
        [key, refusedKey(key)],
        [this.tArg, this.burstArg, this.windowArg, this.now(), arg === 1 ? '1' : '0'],
      );
    }
    return this.run(gcraPeek, [key], [this.tArg, this.burstArg, this.now()]);
  }

  decode(kind: DecisionKind, reply: unknown): RawDecision {
    if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
    if (kind === 'peek') {
      const used = num(reply[0]);
      return {
        allowed: used < this.o.capacity,
        used,
        resetInMs: num(reply[1]),
        retryAfterMs: num(reply[2]),
      };
    }
    const allowed = num(reply[0]) === 1;
    return {
      allowed,
      used: num(reply[1]),
      resetInMs: num(reply[2]),
      retryAfterMs: allowed ? 0 : num(reply[3]),
    };
  }

  async unhit(key: string): Promise<void> {
    await this.run(gcraDecrement, [key, refusedKey(key)], [this.tArg, this.now()]);
  }

  async refund(key: string, cost: number): Promise<void> {
    await this.run(gcraRefund, [key], [this.tArg, cost, this.now()]);
  }

  async reset(key: string): Promise<void> {
    const client = this.runtime.client;
    await this.runtime.run(
      'reset',
      () => client.del(key, refusedKey(key)),
      this.o.commandTimeoutMs,
    );
  }
}
