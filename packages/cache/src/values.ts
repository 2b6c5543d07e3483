/** The envelope stored in Redis (serialized as a whole): value, logical expiry, grace end, creation time, tags. */
export interface Envelope {
  v: unknown;
  /** Logical expiry, ms since epoch. */
  e: number;
  /** End of grace (physical expiry), ms since epoch. */
  g: number;
  /** Creation time, ms since epoch (compared with tag invalidation times). */
  c: number;
  t?: string[];
}

export function isEnvelope(value: unknown): value is Envelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    'v' in value &&
    typeof (value as Envelope).e === 'number' &&
    typeof (value as Envelope).g === 'number' &&
    typeof (value as Envelope).c === 'number'
  );
}

/** True when `value` holds only primitives, plain objects and arrays (so freezing makes it immutable). */
function isPlain(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (depth > 200) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!isPlain(item, depth + 1)) return false;
    return true;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in value)
    if (!isPlain((value as Record<string, unknown>)[k], depth + 1)) return false;
  return true;
}

function freeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  if (Array.isArray(value)) for (const item of value) freeze(item);
  else for (const k in value) freeze((value as Record<string, unknown>)[k]);
}

/**
 * Deep-freezes `value` when it is plain data and returns true; returns false (and leaves it
 * untouched) when it holds a Date, Map, Buffer or class instance, which freezing cannot protect.
 */
export function deepFreezeIfPlain(value: unknown): boolean {
  if (!isPlain(value, 0)) return false;
  freeze(value);
  return true;
}
