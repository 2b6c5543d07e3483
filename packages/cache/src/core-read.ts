import { logSafeError } from '@redis-toolkit/connection';
import type { Core } from './core.js';
import { decodeRaw } from './tiers/decode.js';
import type { Found } from './tiers/memory.js';
import { FAIL, type Maybe } from './tiers/redis.js';
import type { Envelope } from './values.js';

/**
 * A cache's Redis read path: one GET (or MGET with the tags' invalidation times), the value
 * opened (encryption), decoded, checked against its tags and kept in memory when accepted. Plain
 * functions of the `Core`, like the ops: no async wrapper between the runtime's call and the
 * caller (`get` is the hot path).
 */

const identity = <T>(value: T): T => value;

/** A tag key's value: its invalidation time (ms), 0 when it was never invalidated. */
const tagTime = (raw: string | Buffer | null | undefined): number =>
  raw === null || raw === undefined ? 0 : Number(raw.toString());

/** GET one key from Redis, decoded and checked against its tags; FAIL when Redis did not answer. */
export function l2Get(
  core: Core,
  key: string,
  hint?: readonly string[],
): Promise<Maybe<Found | undefined>> {
  return readThen(core, key, hint, identity);
}

/**
 * One Redis read of `key`, decoded and checked against its tags, handed to `next` (FAIL when
 * Redis did not answer) in the same `.then`: no async wrapper between the runtime's call and
 * the caller. The invalidation times of the tags the entry is expected to carry (`hint`, else
 * the tags of this instance's memory copy) travel with it: one MGET (per-key GETs written at
 * once on a Cluster, where tag keys live in other slots), so a tagged hit is one round trip.
 * Only an entry carrying tags nobody expected costs a second one.
 */
export function readThen<R>(
  core: Core,
  key: string,
  hint: readonly string[] | undefined,
  next: (l2: Maybe<Found | undefined>) => R | PromiseLike<R>,
): Promise<R> {
  const redis = core.redis;
  if (!redis?.available) return Promise.resolve(FAIL).then(next);
  const binary = redis.binary || (!core.codecs.empty && core.codecs.codecFor(key) !== undefined);
  const tags = tagsToFetch(core, key, hint);
  const failed = (error: unknown) => next(redis.failed('get', error, false));
  if (tags === undefined) {
    const client = redis.client;
    return redis
      .send<string | Buffer | null>('get', () => (binary ? client.getBuffer(key) : client.get(key)))
      .then((raw) => decodeThen(core, key, raw, undefined, next), failed);
  }
  const keys = [key];
  for (const tag of tags) keys.push(core.tagKey(tag));
  return redis
    .send('get', () => redis.mgetCall(keys, binary))
    .then((raws) => {
      const times = new Map<string, number>();
      const noted = core.tiered && core.bus.trusted;
      tags.forEach((tag, i) => {
        const at = tagTime(raws[i + 1]);
        times.set(tag, at);
        if (noted) core.bus.noteTags([tag], at);
      });
      return decodeThen(core, key, raws[0] ?? null, times, next);
    }, failed);
}

export function decodeThen<R>(
  core: Core,
  key: string,
  raw: string | Buffer | null,
  times: Map<string, number> | undefined,
  next: (l2: Maybe<Found | undefined>) => R | PromiseLike<R>,
): R | PromiseLike<R> {
  const found = decode(core, key, raw, times);
  return found instanceof Promise ? found.then(next) : next(found as Found | undefined);
}

/** Tags whose invalidation times a read of `key` should fetch with it; undefined for none. */
function tagsToFetch(
  core: Core,
  key: string,
  hint: readonly string[] | undefined,
): string[] | undefined {
  const expected = hint ?? core.memory.peekTags(key);
  if (expected === undefined || expected.length === 0) return undefined;
  const unique = [...new Set(expected)];
  if (!(core.tiered && core.bus.trusted)) return unique;
  const known = core.bus.tagTimes;
  const missing = unique.filter((tag) => !known.has(tag));
  return missing.length > 0 ? missing : undefined;
}

/**
 * What Redis held, opened: the plaintext the serializer reads, or undefined (a miss, counted)
 * when the key is encrypted and the value is not a sealed value of one of its keys.
 */
function open(core: Core, key: string, raw: string | Buffer): string | Buffer | undefined {
  const codec = core.codecFor(key);
  if (!codec) return raw;
  const sealed = typeof raw === 'string' ? Buffer.from(raw, 'latin1') : raw;
  const opened = codec.open(key, sealed, !core.config.serializer.binary);
  if (opened.failure === undefined) return opened.data;
  const reason = opened.failure;
  core.telemetry.counters.decryptFailures++;
  core.telemetry.emit('error', 'decrypt', 1, reason);
  core.telemetry.detail('decrypt:error', { key, reason });
  core.logger.debug({ key, reason }, 'cache: encrypted value not served');
  // this instance's copy must not outlive what Redis now holds
  core.memory.delete(key);
  return undefined;
}

/**
 * Decodes what Redis held for `key` (undefined for none, undecodable or tag-invalidated).
 * Synchronous unless a tag's invalidation time is not at hand (`tagTimes`, the trusted bus
 * map) or the entry is a counter (PTTL).
 */
export function decode(
  core: Core,
  key: string,
  sealed: string | Buffer | null,
  tagTimes?: Map<string, number>,
): Found | undefined | Promise<Found | undefined> {
  if (sealed === null) return undefined;
  const raw = core.codecs.empty ? sealed : open(core, key, sealed);
  if (raw === undefined) return undefined;
  const decoded = decodeRaw(core.config.serializer, raw);
  if (decoded === undefined) return undefined;
  if (decoded instanceof Error) {
    core.logger.warn(
      { key, err: logSafeError(decoded).message },
      'cache: undecodable entry ignored',
    );
    return undefined;
  }
  if (decoded.counter) return counterFound(core, key, decoded.env.v as number);
  return checked(core, key, decoded.env, raw, tagTimes);
}

/**
 * An envelope read from Redis, checked against its tags (undefined when one was invalidated
 * after it was written, or cannot be verified) and kept in memory when accepted.
 */
export function checked(
  core: Core,
  key: string,
  env: Envelope,
  raw: string | Buffer,
  tagTimes: Map<string, number> | undefined,
): Found | undefined | Promise<Found | undefined> {
  const tags = env.t;
  if (tags === undefined || tags.length === 0) return accept(core, key, env, raw);
  const verdict = tagVerdict(core, tags, env.c, tagTimes);
  if (verdict === true) return accept(core, key, env, raw);
  if (verdict === false) return undefined;
  return tagTimesFor(core, tags, tagTimes).then((times) => {
    // cannot verify tags: treat as a miss
    if (times === undefined || tagVerdict(core, tags, env.c, times) !== true) return undefined;
    return accept(core, key, env, raw);
  });
}

/**
 * True: no tag was invalidated after `created`; false: one was (known to be wrong, unlike
 * expired, so never served as stale); undefined: a tag's time is not at hand.
 */
function tagVerdict(
  core: Core,
  tags: readonly string[],
  created: number,
  times: Map<string, number> | undefined,
): boolean | undefined {
  const bus = core.tiered && core.bus.trusted ? core.bus.tagTimes : undefined;
  let known = true;
  for (const tag of tags) {
    const at = times?.get(tag) ?? bus?.get(tag);
    if (at === undefined) known = false;
    else if (at >= created) return false;
  }
  return known ? true : undefined;
}

function accept(core: Core, key: string, env: Envelope, raw: string | Buffer): Found | undefined {
  if (env.g <= Date.now()) return undefined;
  if (core.memory.enabled) core.memory.setRead(key, env, raw, core.fallback);
  return { value: env.v, e: env.e, g: env.g, c: env.c, t: env.t, tier: 'l2', copy: false };
}

/** A counter written by `incr`: its expiry comes from PTTL (one more call, only for counters). */
async function counterFound(core: Core, key: string, value: number): Promise<Found | undefined> {
  const pttl = await core.redis?.run('pttl', (c) => c.pttl(key));
  if (pttl === undefined || pttl === FAIL || pttl === -2) return undefined;
  const now = Date.now();
  const end = pttl < 0 ? Number.MAX_SAFE_INTEGER : now + pttl;
  if (core.fallback) core.memory.setEnvelope(key, { v: value, e: end, g: end, c: now }, true);
  return { value, e: end, g: end, c: now, t: undefined, tier: 'l2', copy: false };
}

/**
 * Invalidation time of each tag: from `prefetched`, the bus-maintained map when trustworthy,
 * else one MGET for the rest.
 */
async function tagTimesFor(
  core: Core,
  tags: readonly string[],
  prefetched?: Map<string, number>,
): Promise<Map<string, number> | undefined> {
  const out = new Map<string, number>();
  const known = core.tiered && core.bus.trusted;
  const missing: string[] = [];
  for (const tag of tags) {
    const at = prefetched?.get(tag) ?? (known ? core.bus.tagTimes.get(tag) : undefined);
    if (at !== undefined) out.set(tag, at);
    else if (!missing.includes(tag)) missing.push(tag);
  }
  if (missing.length === 0) return out;
  const res = await core.redis?.multiGet(
    missing.map((t) => core.tagKey(t)),
    'get tags',
  );
  if (res === undefined || res === FAIL) return undefined;
  missing.forEach((tag, i) => {
    const at = tagTime(res[i]);
    out.set(tag, at);
    if (known) core.bus.noteTags([tag], at);
  });
  return out;
}
