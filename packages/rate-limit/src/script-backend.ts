import { type LuaScript, type RedisRuntime, runScript } from '@redis-toolkit/connection';
import type { BackendWrites, DecisionKind, RawDecision, RedisDecisions } from './backend.js';
import type { ResolvedLimiterOptions } from './options.js';

/**
 * What the Redis backends share: a decision is `send` (one script) then `decode` (its reply),
 * which the limiter chains itself (see RedisDecisions); the writes go through `run`.
 */
export abstract class ScriptBackend implements BackendWrites, RedisDecisions {
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
}
