import { isRedisUnavailable } from '@redis-toolkit/connection';
import { toTokenRef, toUserId } from './claims.js';
import type { Core } from './core.js';
import { BlacklistUnavailableError, TokenInputError } from './errors.js';
import type { Entry } from './keys.js';
import type { OutboxSide } from './outbox-side.js';
import type { RevokeAllResult, RevokeResult, TokenOrClaims } from './types.js';
import { describeError, writeEntry } from './writes.js';

/**
 * Makes one revocation durable: a durable write to Redis (WAIT where replicas exist), else — an
 * outage, a timeout, a short ack — the outbox, before the caller hears success. Without an outbox
 * that is `BlacklistUnavailableError` (503). The revocation is honoured in this process in every case.
 */
async function persist(
  core: Core,
  outbox: OutboxSide | undefined,
  operation: string,
  entry: Entry,
): Promise<{ persisted: boolean; queued: boolean }> {
  const runtime = core.runtime;
  if (!runtime) return { persisted: false, queued: false };
  let cause: unknown;
  if (runtime.available) {
    try {
      await writeEntry(core, runtime, entry, true);
      return { persisted: true, queued: false };
    } catch (error) {
      if (!isRedisUnavailable(error)) throw error;
      cause = error;
    }
  } else {
    cause = runtime.outage?.message;
  }
  if (outbox) {
    try {
      await outbox.append(entry);
      core.events.emit('fallback', operation, 1, { reason: describeError(runtime, cause) });
      return { persisted: false, queued: true };
    } catch (error) {
      cause = error;
    }
  }
  core.events.emit('error', operation, 1, { reason: describeError(runtime, cause) });
  throw new BlacklistUnavailableError(
    outbox
      ? 'revocation not accepted: Redis is unavailable and the outbox refused it'
      : 'revocation not accepted: Redis is unavailable and no outbox is configured',
    { cause, retryAfterSeconds: runtime.retryAfterSeconds() },
  );
}

export async function revokeToken(
  core: Core,
  outbox: OutboxSide | undefined,
  token: TokenOrClaims,
): Promise<RevokeResult> {
  const ref = toTokenRef(token, core.o.maxTokenLength);
  if (ref.id === undefined) {
    throw new TokenInputError(
      'missing_token_id',
      'claims have no `jti`: pass the raw token string so it can be identified by its SHA-256',
    );
  }
  if (ref.expMs === undefined) {
    throw new TokenInputError(
      'missing_exp',
      'token has no `exp`: it never expires, so its revocation could not either; use revokeAllForUser(sub)',
    );
  }
  const expMs = ref.expMs + core.o.toleranceMs;
  if (expMs <= Date.now()) return { revoked: false, reason: 'expired', id: ref.id };
  core.store.addToken(ref.id, expMs);
  const entry: Entry = { kind: 't', id: ref.id, value: expMs, expMs };
  const { persisted, queued } = await persist(core, outbox, 'revoke', entry);
  core.events.emit('revocation', 'revoke');
  return { revoked: true, id: ref.id, expiresAt: new Date(expMs), persisted, queued };
}

export async function revokeUser(
  core: Core,
  outbox: OutboxSide | undefined,
  sub: string,
  at: Date | number,
): Promise<RevokeAllResult> {
  const userId = toUserId(sub);
  const atMs = at instanceof Date ? at.getTime() : at;
  if (typeof atMs !== 'number' || !Number.isFinite(atMs) || atMs < 0) {
    throw new TokenInputError('invalid_time', '`at` must be a Date or a millisecond timestamp');
  }
  const cutoffMs = Math.round(atMs);
  const now = Date.now();
  const expMs = cutoffMs + core.o.maxLifeMs + core.o.toleranceMs;
  if (expMs <= now) return { revoked: false, reason: 'expired', userId };
  core.store.addUser(userId, cutoffMs, expMs);
  const entry: Entry = { kind: 'u', id: userId, value: cutoffMs, expMs };
  const { persisted, queued } = await persist(core, outbox, 'revokeAllForUser', entry);
  core.events.emit('revocation', 'revokeAllForUser');
  const effective = core.store.userCutoff(userId, now) ?? cutoffMs;
  return {
    revoked: true,
    userId,
    cutoff: new Date(effective),
    expiresAt: new Date(expMs),
    persisted,
    queued,
  };
}
