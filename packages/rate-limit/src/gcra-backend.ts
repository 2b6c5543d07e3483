import { type LuaScript, type RedisRuntime, runScript } from '@redis-toolkit/connection';
import { type Backend, type RawDecision, refusedKey } from './backend.js';
import { gcraConsume, gcraDecrement, gcraHit, gcraPeek, gcraRefund } from './lua/gcra.js';
import type { ResolvedLimiterOptions } from './options.js';

export const GCRA_SCRIPTS: readonly LuaScript[] = [
  gcraConsume,
  gcraPeek,
  gcraRefund,
  gcraHit,
  gcraDecrement,
];

const num = (value: unknown): number => (typeof value === 'number' ? value : Number(value));

function decision(reply: unknown): RawDecision {
  if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
  const allowed = num(reply[0]) === 1;
  return {
    allowed,
    used: num(reply[1]),
    resetInMs: num(reply[2]),
    retryAfterMs: allowed ? 0 : num(reply[3]),
  };
}

/** GCRA in Redis: one key (TAT) per client key, one script per decision. */
export class RedisGcraBackend implements Backend {
  private readonly tArg: string;
  private readonly burstArg: string;
  private readonly windowArg: string;

  constructor(
    private readonly runtime: RedisRuntime,
    private readonly o: ResolvedLimiterOptions,
  ) {
    this.tArg = String(o.emissionUs);
    this.burstArg = String(o.capacity);
    this.windowArg = String(o.windowMs);
  }

  /** µs for the script, or '' = the Redis server's TIME. */
  private now(): string {
    return this.o.clock ? String(Math.floor(this.o.clock()) * 1000) : '';
  }

  private run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.runtime, script, keys, args, this.o.commandTimeoutMs);
  }

  consume(key: string, cost: number): Promise<RawDecision> {
    return this.run(gcraConsume, [key], [this.tArg, this.burstArg, cost, this.now()]).then(
      decision,
    );
  }

  hit(key: string, countRefused: boolean): Promise<RawDecision> {
    return this.run(
      gcraHit,
      [key, refusedKey(key)],
      [this.tArg, this.burstArg, this.windowArg, this.now(), countRefused ? '1' : '0'],
    ).then(decision);
  }

  async unhit(key: string): Promise<void> {
    await this.run(gcraDecrement, [key, refusedKey(key)], [this.tArg, this.now()]);
  }

  async peek(key: string): Promise<RawDecision> {
    const reply = await this.run(gcraPeek, [key], [this.tArg, this.burstArg, this.now()]);
    if (!Array.isArray(reply)) throw new TypeError('rate-limit: unexpected script reply');
    const used = num(reply[0]);
    return {
      allowed: used < this.o.capacity,
      used,
      resetInMs: num(reply[1]),
      retryAfterMs: num(reply[2]),
    };
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
