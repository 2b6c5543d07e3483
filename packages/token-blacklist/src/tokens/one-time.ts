import {
  durableWrite,
  EVENT_TYPES,
  evalScriptOn,
  isRedisUnavailable,
  type RedisRuntime,
  runScript,
  type ToolkitCounters,
  ToolkitEvents,
  type ToolkitListener,
} from '@redis-toolkit/connection';
import {
  checkSubject,
  decodeRecord,
  encodeRecord,
  newToken,
  oneTimeKeys,
  subjectTag,
  tagOf,
  tokenHash,
} from './codec.js';
import { TokensInputError, TokensLimitedError, TokensUnavailableError } from './errors.js';
import { ONE_TIME_CONSUME, ONE_TIME_ISSUE, ONE_TIME_REVOKE_ALL } from './lua.js';
import { MemoryOneTime } from './memory.js';
import { type ResolvedOneTime, type ResolvedPurpose, resolveOneTime } from './options.js';
import type { OneTimeTokensOptions, TokenData, TokenGrant, TokensStats } from './types.js';

/**
 * Opaque single-use tokens (e-mail verification, password reset, invitations). Only their
 * SHA-256 is stored; `consume` is one Lua script, so across instances exactly one caller wins.
 * Create with `createOneTimeTokens`.
 */
export class OneTimeTokens<P extends string = string> {
  readonly #o: ResolvedOneTime;
  readonly #runtime: RedisRuntime | undefined;
  readonly #memory: MemoryOneTime;
  readonly #events = new Map<string, ToolkitEvents>();
  /** Every event of every purpose: one `ToolkitEvents('tokens', purpose)` each, listened to as one. */
  readonly events: { on(listener: ToolkitListener): () => void } = {
    on: (listener) => this.on(listener),
  };

  constructor(options: OneTimeTokensOptions<P>) {
    this.#o = resolveOneTime(options as OneTimeTokensOptions);
    this.#runtime = this.#o.runtime;
    this.#memory = new MemoryOneTime(this.#o.maxMemoryEntries);
    for (const purpose of this.#o.purposes.keys()) {
      this.#events.set(purpose, new ToolkitEvents('tokens', purpose));
    }
  }

  /**
   * A new token for `subject`. For a `single` purpose, older tokens of the subject stop working.
   * Rejects with `TokensLimitedError` (429) over the issuance limit, `TokensUnavailableError`
   * (503) while Redis is unavailable.
   */
  async issue(purpose: P, subject: string, data?: TokenData): Promise<string> {
    const [spec, events] = this.#purpose(purpose);
    const record = encodeRecord(checkSubject(subject), data);
    const tag = subjectTag(subject);
    const keys = oneTimeKeys(this.#o.namespace, purpose, tag);
    const token = newToken(tag);
    const hash = tokenHash(token);
    const runtime = this.#runtime;
    let retryMs: number | undefined;
    if (!runtime) retryMs = this.#memory.issue(keys, hash, record, spec);
    else {
      const [issued, left] = (await this.#redis(events, 'issue', () =>
        runScript(
          runtime,
          ONE_TIME_ISSUE,
          [keys.subject, keys.counter],
          [
            hash,
            record,
            spec.ttlMs,
            spec.single ? '1' : '0',
            spec.limit?.max ?? 0,
            spec.limit?.perMs ?? 0,
          ],
          this.#o.commandTimeoutMs,
        ),
      )) as [number, number];
      if (issued !== 1) retryMs = Number(left);
    }
    if (retryMs !== undefined) {
      events.emit('block', 'issue');
      throw new TokensLimitedError(
        `too many ${purpose} tokens for this subject; try again later`,
        retryMs / 1000,
      );
    }
    events.emit('allow', 'issue');
    return token;
  }

  /** The token's subject and data, once: the token is gone afterwards. `null` when unknown, used or expired. */
  async consume(purpose: P, token: string): Promise<TokenGrant | null> {
    return this.#read(purpose, token, 'consume');
  }

  /** Like `consume` without using the token up (to show "set a new password for …" before the form). */
  async verify(purpose: P, token: string): Promise<TokenGrant | null> {
    return this.#read(purpose, token, 'verify');
  }

  /** Voids every live token of `subject` for `purpose` (durable write). Resolves to how many. */
  async revokeAll(purpose: P, subject: string): Promise<number> {
    const [, events] = this.#purpose(purpose);
    const keys = oneTimeKeys(this.#o.namespace, purpose, subjectTag(checkSubject(subject)));
    const runtime = this.#runtime;
    const n = runtime
      ? Number(
          await this.#redis(events, 'revokeAll', () =>
            durableWrite(
              runtime,
              'tokens revokeAll',
              keys.subject,
              (client) => evalScriptOn(client, ONE_TIME_REVOKE_ALL, [keys.subject], []),
              this.#o.durability,
            ),
          ),
        )
      : this.#memory.revokeAll(keys);
    events.emit('revocation', 'revokeAll', Math.max(1, n));
    return n;
  }

  /** Every event of every purpose (`allow`/`block` for issue, `hit`/`miss` for consume/verify, `revocation`, `error`). */
  on(listener: ToolkitListener): () => void {
    const offs = [...this.#events.values()].map((e) => e.on(listener));
    return () => {
      for (const off of offs) off();
    };
  }

  /** Counters summed over purposes. */
  stats(): TokensStats {
    const sum = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as ToolkitCounters;
    for (const events of this.#events.values()) {
      for (const [type, n] of Object.entries(events.snapshot())) sum[type as keyof typeof sum] += n;
    }
    const runtime = this.#runtime;
    return {
      ...sum,
      memoryEntries: this.#memory.size,
      redis: runtime ? (runtime.available ? 'up' : 'down') : 'absent',
    };
  }

  async #read(
    purpose: P,
    token: string,
    operation: 'consume' | 'verify',
  ): Promise<TokenGrant | null> {
    const [, events] = this.#purpose(purpose);
    const tag = tagOf(token);
    if (tag === undefined) {
      // request input: garbage is simply not a token
      events.emit('miss', operation);
      return null;
    }
    const keys = oneTimeKeys(this.#o.namespace, purpose, tag);
    const hash = tokenHash(token);
    const runtime = this.#runtime;
    let record: string | null | undefined;
    if (!runtime) {
      record =
        operation === 'consume'
          ? this.#memory.consume(keys.tokenPrefix + hash)
          : this.#memory.peek(keys.tokenPrefix + hash);
    } else if (operation === 'consume') {
      record = (await this.#redis(events, operation, () =>
        runScript(runtime, ONE_TIME_CONSUME, [keys.subject], [hash], this.#o.commandTimeoutMs),
      )) as string | null;
    } else {
      record = await this.#redis(events, operation, () =>
        runtime.run(
          'tokens verify',
          () => runtime.client.get(keys.tokenPrefix + hash),
          this.#o.commandTimeoutMs,
        ),
      );
    }
    if (record === null || record === undefined) {
      events.emit('miss', operation);
      return null;
    }
    events.emit('hit', operation);
    return decodeRecord(record);
  }

  #purpose(purpose: P): [ResolvedPurpose, ToolkitEvents] {
    const spec = this.#o.purposes.get(purpose);
    const events = this.#events.get(purpose);
    if (!spec || !events) {
      throw new TokensInputError(
        `unknown purpose ${JSON.stringify(purpose)}; known: ${[...this.#o.purposes.keys()].join(', ')}`,
      );
    }
    return [spec, events];
  }

  /** Redis or a 503: a one-time token answered from one instance's memory could be used twice. */
  async #redis<T>(events: ToolkitEvents, operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      events.emit('error', operation, 1, { reason: error.reason });
      throw new TokensUnavailableError(
        `one-time tokens cannot be ${operation === 'issue' ? 'issued' : 'checked'} while Redis is unavailable`,
        {
          cause: error,
          retryAfterSeconds: this.#runtime?.retryAfterSeconds() ?? 1,
        },
      );
    }
  }
}

/**
 * One-time tokens for the given purposes. Throws `TokensConfigError` (with `field`) for bad or
 * unknown options. Without `redis`: memory-only (this process only).
 */
export function createOneTimeTokens<P extends string>(
  options: OneTimeTokensOptions<P>,
): OneTimeTokens<P> {
  return new OneTimeTokens<P>(options);
}
