import {
  durableWrite,
  evalScriptOn,
  isRedisUnavailable,
  type RedisRuntime,
  runScript,
  ToolkitEvents,
  type ToolkitListener,
} from '@redis-toolkit/connection';
import {
  checkSubject,
  decodeRecord,
  encodeRecord,
  newFamilyId,
  newToken,
  refreshKeys,
  subjectTag,
  tagOf,
  tokenHash,
} from './codec.js';
import {
  TokenInvalidError,
  TokenReusedError,
  TokensInputError,
  TokensUnavailableError,
} from './errors.js';
import { REFRESH_ISSUE, REFRESH_ROTATE, SET_ADD_TTL } from './lua.js';
import { MemoryFamilies } from './memory.js';
import { type ResolvedRefresh, resolveRefresh } from './options.js';
import type {
  IssuedRefreshToken,
  RefreshTokensOptions,
  RotatedRefreshToken,
  TokenData,
  TokensStats,
} from './types.js';

const FAMILY_ID = /^[A-Za-z0-9_-]{22}$/;

/**
 * Opaque refresh tokens with rotation and reuse detection. Each login starts a family; each
 * rotation replaces its current token and remembers the old one as used until the family
 * expires, so a used token coming back (it was copied) revokes the whole family.
 * Create with `createRefreshTokens`.
 */
export class RefreshTokens {
  /** Every event of this instance (`allow` issue, `hit`/`miss` rotate, `revocation`, `error`, `fallback`). */
  readonly events = new ToolkitEvents('tokens', 'refresh');
  readonly #o: ResolvedRefresh;
  readonly #runtime: RedisRuntime | undefined;
  readonly #memory: MemoryFamilies;
  readonly #keys: ReturnType<typeof refreshKeys>;

  constructor(options: RefreshTokensOptions = {}) {
    this.#o = resolveRefresh(options);
    this.#runtime = this.#o.runtime;
    this.#memory = new MemoryFamilies(this.#o.maxMemoryEntries);
    this.#keys = refreshKeys(this.#o.namespace);
  }

  /** Starts a family for `subject` (a login). */
  async issue(subject: string, data?: TokenData): Promise<IssuedRefreshToken> {
    const record = encodeRecord(checkSubject(subject), data);
    const st = subjectTag(subject);
    const familyId = newFamilyId();
    const token = newToken(familyId);
    const hash = tokenHash(token);
    const runtime = this.#gate('issue');
    if (!runtime) {
      this.#memory.issue(familyId, hash, record, st, this.#o.ttlMs);
    } else {
      try {
        // index first: a family revokeAllForSubject cannot find must never exist
        await runScript(
          runtime,
          SET_ADD_TTL,
          [this.#keys.subject(st)],
          [familyId, this.#o.ttlMs],
          this.#o.commandTimeoutMs,
        );
        await runScript(
          runtime,
          REFRESH_ISSUE,
          [this.#keys.family(familyId)],
          [hash, record, st, this.#o.ttlMs],
          this.#o.commandTimeoutMs,
        );
      } catch (error) {
        if (!isRedisUnavailable(error)) throw error;
        if (!this.#o.issueDuringOutage) throw this.#unavailable('issue', error);
        this.events.emit('fallback', 'issue', 1, { reason: error.reason });
        this.#memory.issue(familyId, hash, record, st, this.#o.ttlMs);
      }
    }
    this.events.emit('allow', 'issue');
    return { token, familyId };
  }

  /**
   * Exchanges a current token for the next one. Rejects with `TokenReusedError` (the family is
   * now revoked) for a token already rotated away, `TokenInvalidError` for anything unknown,
   * `TokensUnavailableError` (503) while Redis cannot answer.
   */
  async rotate(token: string): Promise<RotatedRefreshToken> {
    const familyId = tagOf(token);
    if (familyId === undefined) {
      this.events.emit('miss', 'rotate');
      throw new TokenInvalidError('malformed', 'not a refresh token');
    }
    const hash = tokenHash(token);
    const next = newToken(familyId);
    const runtime = this.#gate('rotate');
    let outcome: { kind: 'rotated' | 'reused'; record: string; st?: string } | undefined;
    if (!runtime || this.#memory.has(familyId)) {
      outcome = this.#memory.rotate(familyId, hash, tokenHash(next), this.#o.ttlMs);
    } else {
      let reply: [number, string?, string?];
      try {
        // Durable: a rotation a failover could erase would make the rotated-away token valid
        // again (seen in the chaos run). A short ack answers 503; the rotation may still have
        // happened, so a retry with the old token counts as reuse (the safe side).
        const familyKey = this.#keys.family(familyId);
        reply = (await durableWrite(
          runtime,
          'tokens rotate',
          familyKey,
          (client) =>
            evalScriptOn(
              client,
              REFRESH_ROTATE,
              [familyKey],
              [hash, tokenHash(next), this.#o.ttlMs],
            ),
          this.#o.durability,
        )) as [number, string?, string?];
      } catch (error) {
        // a family kept in Redis cannot be checked from memory, whatever issueDuringOutage says
        if (isRedisUnavailable(error)) throw this.#unavailable('rotate', error);
        throw error;
      }
      const [code, record, st] = reply;
      if (code === 1 && record !== undefined)
        outcome = { kind: 'rotated', record, ...(st ? { st } : {}) };
      else if (code === -1 && record !== undefined) outcome = { kind: 'reused', record };
    }
    if (!outcome) {
      this.events.emit('miss', 'rotate');
      throw new TokenInvalidError('unknown', 'refresh token expired, revoked or never issued');
    }
    const { subject, data } = decodeRecord(outcome.record);
    if (outcome.kind === 'reused') {
      // the script deleted the family; make that revocation durable (WAIT) before answering
      if (runtime && !this.#memory.has(familyId))
        await this.#durableDelete(runtime, familyId).catch(() => undefined);
      this.events.emit('revocation', 'reuse');
      throw new TokenReusedError(subject, familyId);
    }
    if (runtime && outcome.st) {
      // the subject's index must outlive its longest family; best effort, off the hot path
      runScript(
        runtime,
        SET_ADD_TTL,
        [this.#keys.subject(outcome.st)],
        [familyId, this.#o.ttlMs],
        this.#o.commandTimeoutMs,
      ).catch(() => undefined);
    }
    this.events.emit('hit', 'rotate');
    return { token: next, familyId, subject, data };
  }

  /** Revokes the family of `token` (logout). Resolves to false for a token that is not live. */
  async revoke(token: string): Promise<boolean> {
    const familyId = tagOf(token);
    if (familyId === undefined) return false;
    return this.revokeFamily(familyId);
  }

  /** Revokes one family (durable write). Resolves to false when it did not exist. */
  async revokeFamily(familyId: string): Promise<boolean> {
    if (typeof familyId !== 'string' || !FAMILY_ID.test(familyId)) {
      throw new TokensInputError('familyId must be a familyId returned by issue()');
    }
    let found = this.#memory.revoke(familyId);
    const runtime = this.#runtime;
    if (runtime) {
      try {
        found = (await this.#durableDelete(runtime, familyId)) || found;
      } catch (error) {
        if (isRedisUnavailable(error)) throw this.#unavailable('revokeFamily', error);
        throw error;
      }
    }
    this.events.emit('revocation', 'revokeFamily');
    return found;
  }

  /** Revokes every family of `subject` ("log out everywhere"). Resolves to how many existed. */
  async revokeAllForSubject(subject: string): Promise<number> {
    const st = subjectTag(checkSubject(subject));
    let n = this.#memory.revokeSubject(st);
    const runtime = this.#runtime;
    if (runtime) {
      const index = this.#keys.subject(st);
      try {
        const ids = await runtime.run(
          'tokens smembers',
          () => runtime.client.smembers(index),
          this.#o.commandTimeoutMs,
        );
        const results = await Promise.all(
          ids.filter((id) => FAMILY_ID.test(id)).map((id) => this.#durableDelete(runtime, id)),
        );
        n += results.filter(Boolean).length;
        await runtime.run(
          'tokens srem',
          () => (ids.length > 0 ? runtime.client.srem(index, ...ids) : Promise.resolve(0)),
          this.#o.commandTimeoutMs,
        );
      } catch (error) {
        if (isRedisUnavailable(error)) throw this.#unavailable('revokeAllForSubject', error);
        throw error;
      }
    }
    this.events.emit('revocation', 'revokeAllForSubject', Math.max(1, n));
    return n;
  }

  /** Shorthand for `events.on(listener)`. */
  on(listener: ToolkitListener): () => void {
    return this.events.on(listener);
  }

  stats(): TokensStats {
    const runtime = this.#runtime;
    return {
      ...this.events.snapshot(),
      memoryEntries: this.#memory.size,
      redis: runtime ? (runtime.available ? 'up' : 'down') : 'absent',
    };
  }

  async #durableDelete(runtime: RedisRuntime, familyId: string): Promise<boolean> {
    const key = this.#keys.family(familyId);
    const n = await durableWrite(
      runtime,
      'tokens revokeFamily',
      key,
      (client) => client.del(key),
      this.#o.durability,
    );
    return Number(n) > 0;
  }

  /**
   * The runtime to use, or undefined for memory. Refuses (503) while revocation state is unknown
   * (the blacklist says so) or Redis is in an outage, unless `issueDuringOutage`.
   */
  #gate(operation: 'issue' | 'rotate'): RedisRuntime | undefined {
    const runtime = this.#runtime;
    if (this.#o.blacklist && !this.#o.blacklist.canIssue()) {
      this.events.emit('error', operation, 1, { reason: 'blacklist cannot issue' });
      throw new TokensUnavailableError(
        'refresh tokens are not issued while revocation state is unknown',
        {
          retryAfterSeconds: runtime?.retryAfterSeconds() ?? 1,
        },
      );
    }
    if (runtime && !runtime.available) {
      if (!this.#o.issueDuringOutage) throw this.#unavailable(operation, undefined);
      if (operation === 'issue') {
        this.events.emit('fallback', operation, 1, { reason: 'outage' });
        return undefined;
      }
    }
    return runtime;
  }

  #unavailable(operation: string, cause: unknown): TokensUnavailableError {
    this.events.emit(
      'error',
      operation,
      1,
      isRedisUnavailable(cause) ? { reason: cause.reason } : { reason: 'outage' },
    );
    return new TokensUnavailableError(
      `refresh tokens: ${operation} refused while Redis is unavailable`,
      {
        cause,
        retryAfterSeconds: this.#runtime?.retryAfterSeconds() ?? 1,
      },
    );
  }
}

/** Refresh tokens; see `RefreshTokensOptions`. Throws `TokensConfigError` on bad options. No `redis`: memory-only. */
export function createRefreshTokens(options: RefreshTokensOptions = {}): RefreshTokens {
  return new RefreshTokens(options);
}
