import { type LuaScript, type RedisRuntime, runScript } from '@redis-toolkit/connection';
import type { Backend, DecisionKind, RawDecision, RedisDecisions } from './backend.js';
import type { ResolvedLimiterOptions } from './options.js';

/**
 * What the Redis backends share: a decision is `send` (one script) then `decode` (its reply), so
 * a combination can send the same scripts itself and decode with the limiter's own rules.
 */
export abstract class ScriptBackend implements Backend, RedisDecisions {
  constructor(
    protected readonly runtime: RedisRuntime,
    protected readonly o: ResolvedLimiterOptions,
  ) {}

  protected run(script: LuaScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    return runScript(this.runtime, script, keys, args, this.o.commandTimeoutMs);
  }

  abstract send(kind: DecisionKind, key: string, arg: number): Promise<unknown>;
  abstract decode(kind: DecisionKind, reply: unknown): RawDecision;
  abstract unhit(key: string): Promise<void>;
  abstract refund(key: string, cost: number): Promise<void>;
  abstract reset(key: string): Promise<void>;

  consume(key: string, cost: number): Promise<RawDecision> {
    return this.send('consume', key, cost).then((reply) => this.decode('consume', reply));
  }

  hit(key: string, countRefused: boolean): Promise<RawDecision> {
    return this.send('hit', key, countRefused ? 1 : 0).then((reply) => this.decode('hit', reply));
  }

  peek(key: string): Promise<RawDecision> {
    return this.send('peek', key, 0).then((reply) => this.decode('peek', reply));
  }
}
