import type { Core } from '../core.js';
import { checked, decode, decodeThen, l2Get, readThen } from '../core-read.js';
import type { CacheSource } from '../options/types.js';
import type { Serializer } from '../serializer.js';
import type { Found } from '../tiers/memory.js';
import { FAIL, type Maybe } from '../tiers/redis.js';
import { type Envelope, isEnvelope } from '../values.js';

export interface Lookup {
  /** Fresh or within grace; `undefined` when nothing usable was found. */
  found: Found | undefined;
  /** Where a fresh answer came from; `undefined` for a miss (found may then be a stale entry). */
  source: CacheSource | undefined;
  /** Redis was needed and did not answer. */
  unavailable: boolean;
}

const failed: Promise<typeof FAIL> = Promise.resolve(FAIL);

/**
 * GET from Redis when it may be used: FAIL when absent, unavailable or awaiting replay. Not
 * `async`: when Redis is usable (the common case) it is the read's own promise.
 */
export function l2Read(
  core: Core,
  full: string,
  hint?: readonly string[],
): Promise<Maybe<Found | undefined>> {
  if (!core.redis) return failed;
  const usable = core.usable();
  if (usable === true) return l2Get(core, full, hint);
  if (usable === false) return failed;
  return usable.then((ok) => (ok ? l2Get(core, full, hint) : FAIL));
}

const fresh = (found: Found | undefined): boolean => found !== undefined && found.e > Date.now();

const asLookup = (lookup: Lookup): Lookup => lookup;

/** What `get` / `getWithMeta` hand out, from a fresh value and where it came from (none: a miss). */
export type Project<R> = (value: unknown, source: Exclude<CacheSource, 'loader'> | undefined) => R;

/** A lookup's answer shaped by `project`: a loader's value or a miss is projected as a miss. */
export const projected = <R>({ found, source }: Lookup, project: Project<R>): R =>
  source && found && source !== 'loader'
    ? project(found.value, source)
    : project(undefined, undefined);

/** The envelope in `raw`, or undefined (not one, or not readable: the general decode reports it). */
function envelopeOf(serializer: Serializer, raw: string | Buffer): Envelope | undefined {
  let env: unknown;
  try {
    env = serializer.deserialize(raw);
  } catch {
    return undefined;
  }
  return isEnvelope(env) ? env : undefined;
}

/**
 * The common `get`: no memory in front (`'fallback'` mode or none), Redis usable, nothing
 * pending, the key not encrypted and no tags expected. One GET under the runtime and one
 * `.then` that parses, counts and answers, without the general lookup's intermediate objects.
 * Counters and anything undecodable continue on the general decode, tagged entries on its tag
 * check (parsed once); a failed call on the general outage path. Undefined when the general
 * lookup must run.
 */
export function quickGet<R>(
  core: Core,
  full: string,
  operation: string,
  hint: readonly string[] | undefined,
  project: Project<R>,
): Promise<R> | undefined {
  const redis = core.redis;
  if (core.tiered || redis === undefined || !redis.available || core.pending.size > 0) {
    return undefined;
  }
  if (hint !== undefined && hint.length > 0) return undefined;
  if (!core.codecs.empty && core.codecFor(full) !== undefined) return undefined;
  const memory = core.memory;
  if (memory.enabled && memory.peekTags(full) !== undefined) return undefined;
  const client = redis.client;
  const binary = redis.binary;
  return redis
    .send<string | Buffer | null>(operation, () =>
      binary ? client.getBuffer(full) : client.get(full),
    )
    .then(
      (raw) => {
        const t = core.telemetry;
        if (raw === null) {
          t.miss(operation, full);
          return project(undefined, undefined);
        }
        // a counter is at most 21 characters; an envelope always longer
        const env = raw.length > 21 ? envelopeOf(core.config.serializer, raw) : undefined;
        const tagged = env !== undefined && env.t !== undefined && env.t.length > 0;
        if (env === undefined || tagged) {
          const settle = (l2: Maybe<Found | undefined>): R =>
            projected(settled(core, full, operation, l2, undefined), project);
          if (env === undefined) return decodeThen(core, full, raw, undefined, settle);
          // tagged: the general tag check, on the envelope already parsed
          const found = checked(core, full, env, raw, undefined);
          return found instanceof Promise ? found.then(settle) : settle(found);
        }
        const now = Date.now();
        if (env.g > now && memory.enabled) memory.setRead(full, env, raw, core.fallback);
        if (env.e > now) {
          t.hit(operation, full, 'l2');
          return project(env.v, 'redis');
        }
        t.miss(operation, full);
        return project(undefined, undefined);
      },
      (error: unknown) =>
        projected(
          settled(core, full, operation, redis.failed(operation, error, false), undefined),
          project,
        ),
    );
}

/**
 * Memory (tier mode), then Redis; while Redis is unavailable, the policy, then (fallback mode) the
 * memory copy. Counts and emits one hit, stale or miss. Returns stale entries too (within grace).
 * `hint`: tags the entry is expected to carry (their times are read with it). `project` shapes
 * the answer in the same `.then` as the decode, so a Redis hit costs one promise layer over the
 * runtime's call. Throws synchronously for `'deny'` when no Redis call was made.
 */
export function lookup<R = Lookup>(
  core: Core,
  full: string,
  operation: string,
  hint?: readonly string[],
  project: (lookup: Lookup) => R = asLookup as (lookup: Lookup) => R,
): Promise<R> {
  const t = core.telemetry;
  const tierEntry = core.tiered ? core.memory.get(full) : undefined;
  if (tierEntry && tierEntry.e > Date.now()) {
    t.hit(operation, full, 'l1');
    return Promise.resolve(
      project({ found: core.memory.found(tierEntry), source: 'l1', unavailable: false }),
    );
  }
  const stale = tierEntry ? core.memory.found(tierEntry) : undefined;
  if (!core.redis) {
    t.miss(operation, full);
    return Promise.resolve(project({ found: stale, source: undefined, unavailable: false }));
  }
  const settle = (l2: Maybe<Found | undefined>): R =>
    project(settled(core, full, operation, l2, stale));
  const usable = core.usable();
  if (usable === true) return readThen(core, full, hint, settle);
  if (usable === false) return Promise.resolve(settle(FAIL));
  return usable.then((ok) => (ok ? readThen(core, full, hint, settle) : settle(FAIL)));
}

/** What a lookup answers once Redis answered (or could not: FAIL). */
function settled(
  core: Core,
  full: string,
  operation: string,
  l2: Maybe<Found | undefined>,
  stale: Found | undefined,
): Lookup {
  const t = core.telemetry;
  if (l2 !== FAIL) {
    if (fresh(l2)) {
      t.hit(operation, full, 'l2');
      return { found: l2, source: 'redis', unavailable: false };
    }
    t.miss(operation, full);
    return { found: l2 ?? stale, source: undefined, unavailable: false };
  }
  core.unavailable(operation);
  const outage = fromMemory(core, full, operation);
  if (outage.source) return outage;
  t.miss(operation, full);
  return { found: outage.found ?? stale, source: undefined, unavailable: true };
}

/**
 * Fallback mode while Redis does not answer: this instance's own outage writes are served as
 * memory hits; copies of what Redis held are served as `stale` (other instances may have changed
 * them), which is what keeps an outage's start from sending every request to the loader.
 */
export function fromMemory(core: Core, full: string, operation: string): Lookup {
  if (!core.fallback) return { found: undefined, source: undefined, unavailable: true };
  const entry = core.memory.get(full);
  if (!entry) return { found: undefined, source: undefined, unavailable: true };
  const found = core.memory.found(entry);
  if (entry.e <= Date.now()) return { found, source: undefined, unavailable: true };
  if (!entry.copy) {
    core.telemetry.hit(operation, full, 'l1');
    return { found, source: 'l1', unavailable: true };
  }
  core.telemetry.emit('stale', operation);
  core.telemetry.detail('stale', { key: full, reason: 'outage' });
  return { found, source: 'stale', unavailable: true };
}

/** Many values in one round trip (MGET, or per-key GETs sent together on a Cluster). */
export async function mget(core: Core, fulls: string[]): Promise<unknown[]> {
  const t = core.telemetry;
  const out: unknown[] = new Array(fulls.length).fill(undefined);
  let hits = 0;
  let stale = 0;
  const fromL1 = (indexes: number[], copiesAreStale: boolean): number[] => {
    const left: number[] = [];
    const now = Date.now();
    for (const i of indexes) {
      const entry = core.memory.get(fulls[i] as string);
      if (entry && entry.e > now) {
        out[i] = core.memory.value(entry);
        if (copiesAreStale && entry.copy) stale++;
        else {
          t.counters.l1Hits++;
          hits++;
        }
      } else left.push(i);
    }
    return left;
  };
  let missing = fulls.map((_, i) => i);
  if (core.tiered) missing = fromL1(missing, false);
  if (missing.length > 0 && core.redis) {
    const ready = await core.usable();
    const keys = missing.map((i) => fulls[i] as string);
    const binary = keys.some((k) => core.codecFor(k) !== undefined);
    const raws = ready ? await core.redis.multiGet(keys, 'mget', binary) : FAIL;
    if (raws !== FAIL) {
      const left: number[] = [];
      // tagged entries whose tag times are not at hand fetch them concurrently: one more round trip, not one per entry
      const decoded = await Promise.all(
        missing.map((i, j) => decode(core, fulls[i] as string, raws[j] ?? null)),
      );
      for (let j = 0; j < missing.length; j++) {
        const i = missing[j] as number;
        const found = decoded[j];
        if (fresh(found)) {
          t.counters.l2Hits++;
          hits++;
          out[i] = found?.value;
        } else left.push(i);
      }
      missing = left;
    } else {
      core.unavailable('mget', missing.length);
      if (core.fallback) missing = fromL1(missing, true);
    }
  }
  t.emit('hit', 'mget', hits);
  t.emit('stale', 'mget', stale);
  t.emit('miss', 'mget', missing.length);
  return out;
}
