import { isCluster, isRedisUnavailable, type RedisRuntime } from '@redis-toolkit/connection';
import { type TokenRef, toTokenRef } from './claims.js';
import type { Core } from './core.js';
import { BlacklistUnavailableError } from './errors.js';
import type { OutboxSide } from './outbox-side.js';
import type { CheckResult, TokenOrClaims } from './types.js';
import { describeError } from './writes.js';

const NOT_REVOKED_LOCAL: CheckResult = { revoked: false, reason: undefined, source: 'local' };
const NOT_REVOKED_MIRROR: CheckResult = { revoked: false, reason: undefined, source: 'mirror' };
const NOT_REVOKED_REDIS: CheckResult = { revoked: false, reason: undefined, source: 'redis' };
const NOT_REVOKED_FALLBACK: CheckResult = { revoked: false, reason: undefined, source: 'fallback' };

function localReason(core: Core, ref: TokenRef, now: number): 'token' | 'user' | undefined {
  if (ref.id !== undefined && core.store.hasToken(ref.id, now)) return 'token';
  if (ref.userId !== undefined) {
    const cutoff = core.store.userCutoff(ref.userId, now);
    if (cutoff !== undefined && (ref.iatMs === undefined || ref.iatMs < cutoff)) return 'user';
  }
  return undefined;
}

/** Token key and user key in one round trip: MGET on one node, two GETs sent together on a Cluster (different slots). */
function readBoth(core: Core, runtime: RedisRuntime, ref: TokenRef): Promise<(string | null)[]> {
  const { client } = runtime;
  core.counters.redisChecks++;
  const tokenKey = ref.id !== undefined ? core.keys.token(ref.id) : undefined;
  const userKey = ref.userId !== undefined ? core.keys.user(ref.userId) : undefined;
  return runtime.run(
    'check',
    async () => {
      if (tokenKey !== undefined && userKey !== undefined) {
        if (!isCluster(client)) return client.mget(tokenKey, userKey);
        return Promise.all([client.get(tokenKey), client.get(userKey)]);
      }
      if (tokenKey !== undefined) return [await client.get(tokenKey), null];
      if (userKey !== undefined) return [null, await client.get(userKey)];
      return [null, null];
    },
    core.o.commandTimeoutMs,
  );
}

function revokedAnswer(core: Core, reason: 'token' | 'user', source: CheckResult['source']) {
  core.events.emit('hit', 'check');
  return { revoked: true, reason, source };
}

/** Redis could not answer and the mirror is not in sync: the `onRedisError` policy decides. */
async function fromPolicy(
  core: Core,
  outbox: OutboxSide | undefined,
  ref: TokenRef,
  cause: unknown,
): Promise<CheckResult> {
  const reason = describeError(core.runtime, cause);
  if (core.o.policy === 'deny') {
    core.events.emit('error', 'check', 1, { reason });
    throw new BlacklistUnavailableError(
      'revocation status cannot be decided: Redis is unavailable and the local mirror is not in sync',
      { cause, retryAfterSeconds: core.runtime?.retryAfterSeconds() ?? 1 },
    );
  }
  core.events.emit('fallback', 'check', 1, { reason });
  if (outbox) {
    // other instances sharing the outbox may have accepted revocations this one has not seen
    await outbox.absorb();
    const found = localReason(core, ref, Date.now());
    if (found) return revokedAnswer(core, found, 'fallback');
  }
  core.events.emit('miss', 'check');
  return NOT_REVOKED_FALLBACK;
}

export async function checkToken(
  core: Core,
  outbox: OutboxSide | undefined,
  token: TokenOrClaims,
): Promise<CheckResult> {
  const ref = toTokenRef(token, core.o.maxTokenLength);
  const now = Date.now();
  const local = localReason(core, ref, now);
  if (local) return revokedAnswer(core, local, 'local');
  const runtime = core.runtime;
  if (!runtime) {
    core.events.emit('miss', 'check');
    return NOT_REVOKED_LOCAL;
  }
  if (core.mirror?.inSync(now)) {
    core.events.emit('miss', 'check');
    return NOT_REVOKED_MIRROR;
  }
  if (!runtime.available) return fromPolicy(core, outbox, ref, runtime.outage?.message);
  let values: (string | null)[];
  try {
    values = await readBoth(core, runtime, ref);
  } catch (error) {
    if (!isRedisUnavailable(error)) throw error;
    return fromPolicy(core, outbox, ref, error);
  }
  const [tokenValue, userValue] = values;
  const canCache = core.store.size < core.o.maxMemoryEntries;
  if (tokenValue != null && ref.id !== undefined) {
    const expMs = Number(tokenValue);
    if (canCache && Number.isFinite(expMs)) core.store.addToken(ref.id, expMs);
    return revokedAnswer(core, 'token', 'redis');
  }
  if (userValue != null && ref.userId !== undefined) {
    const cutoffMs = Number(userValue);
    if (Number.isFinite(cutoffMs)) {
      if (canCache) {
        core.store.addUser(ref.userId, cutoffMs, cutoffMs + core.o.maxLifeMs + core.o.toleranceMs);
      }
      if (ref.iatMs === undefined || ref.iatMs < cutoffMs)
        return revokedAnswer(core, 'user', 'redis');
    }
  }
  core.events.emit('miss', 'check');
  return NOT_REVOKED_REDIS;
}
