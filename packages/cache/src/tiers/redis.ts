import {
  type DurabilityOptions,
  durableWrite,
  isCluster,
  isRedisUnavailable,
  type Logger,
  type LuaScript,
  logSafeError,
  type RedisClient,
  type RedisRuntime,
  runScript,
  scanKeys,
} from '@redis-toolkit/connection';
import type { Redis } from 'ioredis';
import type { Telemetry } from '../stats/stats.js';

/** What a guarded call returns when Redis did not serve it (absent, outage, timeout, failure). */
export const FAIL: unique symbol = Symbol('redis-unavailable');
export type Maybe<T> = T | typeof FAIL;

/**
 * The only way the cache talks to Redis: every call goes through the shared runtime (one health
 * state per client, one deadline per call, nothing sent during an outage). Never throws for
 * Redis trouble: answers FAIL, and the caller applies the `onRedisError` policy.
 */
export class RedisTier {
  readonly client: RedisClient;
  readonly cluster: boolean;
  private closed = false;

  constructor(
    readonly runtime: RedisRuntime,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
    private readonly telemetry: Telemetry,
    /** The serializer writes bytes: values are read as Buffers. */
    readonly binary: boolean,
    /** Undefined: writes count as done when the master answers (no WAIT). */
    private readonly durability: DurabilityOptions | undefined,
  ) {
    this.client = runtime.client;
    this.cluster = isCluster(runtime.client);
  }

  get available(): boolean {
    return !this.closed && this.runtime.available;
  }

  close(): void {
    this.closed = true;
  }

  /** One call under the runtime. `strict`: reply errors (WRONGTYPE…) are thrown instead of FAIL. */
  async run<T>(
    operation: string,
    call: (client: RedisClient) => Promise<T>,
    strict = false,
  ): Promise<Maybe<T>> {
    if (!this.available) return FAIL;
    try {
      return await this.runtime.run(operation, () => call(this.client), this.timeoutMs);
    } catch (error) {
      return this.failed(operation, error, strict);
    }
  }

  /** A Lua script by SHA (NOSCRIPT handled by the runtime). */
  async script(
    script: LuaScript,
    keys: string[],
    args: (string | number)[],
    strict = false,
  ): Promise<Maybe<unknown>> {
    if (!this.available) return FAIL;
    try {
      return await runScript(this.runtime, script, keys, args, this.timeoutMs);
    } catch (error) {
      return this.failed(script.name, error, strict);
    }
  }

  /**
   * The bare guarded call, without the FAIL mapping: for the read fast path, which maps a
   * rejection with `failed` in the same `.then` that decodes the answer (one promise layer).
   */
  send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    return this.runtime.run(operation, call, this.timeoutMs);
  }

  failed(operation: string, error: unknown, strict: boolean): typeof FAIL {
    if (!isRedisUnavailable(error) && strict) throw error;
    // counted when the call was sent and failed (a timeout, a connection error, or a reply error
    // such as WRONGTYPE, which leaves the connection healthy); calls refused during an outage are not
    if (!isRedisUnavailable(error) || error.reason !== 'outage') {
      this.telemetry.emit('error', operation, 1, logSafeError(error).message);
    }
    this.logger.debug(
      { operation, err: logSafeError(error).message },
      'cache: redis call failed; answering from the policy',
    );
    this.telemetry.detail('redis:error', { operation, error });
    return FAIL;
  }

  /** `binary`: read a Buffer even with a text serializer (encrypted values are bytes). */
  get(key: string, binary = false): Promise<Maybe<string | Buffer | null>> {
    const asBuffer = binary || this.binary;
    return this.run<string | Buffer | null>('get', (c) =>
      asBuffer ? c.getBuffer(key) : c.get(key),
    );
  }

  /** GET of many keys: one MGET on a single node; per-key GETs (sent together) on a Cluster. */
  multiGet(
    keys: string[],
    operation = 'mget',
    binary = false,
  ): Promise<Maybe<(string | Buffer | null)[]>> {
    binary ||= this.binary;
    return this.run<(string | Buffer | null)[]>(operation, () => this.mgetCall(keys, binary));
  }

  /** MGET on a single node; on a Cluster per-key GETs written at once (one round trip, every slot). */
  mgetCall(keys: string[], binary: boolean): Promise<(string | Buffer | null)[]> {
    const c = this.client;
    if (this.cluster) return Promise.all(keys.map((k) => (binary ? c.getBuffer(k) : c.get(k))));
    return binary ? c.mgetBuffer(...keys) : c.mget(...keys);
  }

  /**
   * A write that replaces or removes data. With `durability`, it counts as done only when a
   * replica has it (WAIT, on the node of `routingKey`); a short ack is FAIL, like an outage.
   */
  async write<T>(
    operation: string,
    routingKey: string,
    call: (client: RedisClient) => Promise<T>,
  ): Promise<Maybe<T>> {
    if (!this.durability) return this.run(operation, call);
    if (!this.available) return FAIL;
    try {
      return await durableWrite(this.runtime, operation, routingKey, call, this.durability);
    } catch (error) {
      return this.failed(operation, error, false);
    }
  }

  /** SET PX of many keys in one round trip: a pipeline on a single node, per-key SETs on a Cluster. */
  multiSet(
    items: { key: string; data: string | Buffer; px: number }[],
    operation = 'mset',
  ): Promise<Maybe<unknown>> {
    return this.write(operation, items[0]?.key ?? '', async (c) => {
      if (this.cluster) return Promise.all(items.map((i) => c.set(i.key, i.data, 'PX', i.px)));
      const p = (c as Redis).pipeline();
      for (const i of items) p.set(i.key, i.data, 'PX', i.px);
      const res = await p.exec();
      const failed = res?.find(([err]) => err);
      if (failed?.[0]) throw failed[0];
      return res;
    });
  }

  /** UNLINK of many keys (per key on a Cluster). Returns the count removed. */
  unlink(keys: string[]): Promise<Maybe<number>> {
    return this.write('unlink', keys[0] ?? '', async (c) => {
      if (!this.cluster) return c.unlink(...keys);
      return (await Promise.all(keys.map((k) => c.unlink(k)))).reduce((a, b) => a + b, 0);
    });
  }

  /**
   * SCAN MATCH (every master, keyPrefix-aware) + UNLINK in batches. `keep` filters out keys the
   * pattern may reach but must survive (the cache's internals). `complete: false` when Redis
   * stopped answering midway.
   */
  async scanDelete(
    pattern: string,
    keep: (key: string) => boolean,
  ): Promise<{ count: number; complete: boolean }> {
    let count = 0;
    if (!this.available) return { count, complete: false };
    try {
      for await (const page of scanKeys(this.runtime, pattern, { count: 1000 })) {
        const keys = page.filter((k) => !keep(k));
        if (keys.length === 0) continue;
        const removed = await this.unlink(keys);
        if (removed === FAIL) return { count, complete: false };
        count += removed;
      }
    } catch (error) {
      this.failed('scan', error, false);
      return { count, complete: false };
    }
    return { count, complete: true };
  }
}
