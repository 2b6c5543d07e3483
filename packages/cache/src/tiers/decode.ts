import type { Serializer } from '../serializer.js';
import { type Envelope, isEnvelope } from '../values.js';

/** A counter (`incr`): Redis holds the bare integer, which no serialized envelope ever is. */
const COUNTER = /^-?\d{1,20}$/;

/**
 * Turns what Redis holds into an envelope, or a counter's value; undefined for none or not an
 * envelope, the serializer's error when it could not read it (no closure per call for that).
 */
export function decodeRaw(
  serializer: Serializer,
  raw: string | Buffer | null,
): { env: Envelope; counter: boolean } | Error | undefined {
  if (raw === null) return undefined;
  // an envelope starts with `{` (JSON) or a map marker (msgpack); only short values can be counters
  if (raw.length <= 21) {
    const text = typeof raw === 'string' ? raw : raw.toString('latin1');
    if (COUNTER.test(text)) return { env: { v: Number(text), e: 0, g: 0, c: 0 }, counter: true };
  }
  let env: unknown;
  try {
    env = serializer.deserialize(raw);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  return isEnvelope(env) ? { env, counter: false } : undefined;
}
