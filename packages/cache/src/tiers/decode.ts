import type { Serializer } from '../serializer.js';
import { type Envelope, isEnvelope } from '../values.js';

/** A counter (`incr`): Redis holds the bare integer, which no serialized envelope ever is. */
const COUNTER = /^-?\d{1,20}$/;

/** Turns what Redis holds into an envelope, or a counter's value; undefined for none or garbage. */
export function decodeRaw(
  serializer: Serializer,
  raw: string | Buffer | null,
  onError: (error: unknown) => void,
): { env: Envelope; counter: boolean } | undefined {
  if (raw === null) return undefined;
  const text = typeof raw === 'string' ? raw : raw.length <= 21 ? raw.toString('latin1') : '';
  if (COUNTER.test(text)) return { env: { v: Number(text), e: 0, g: 0, c: 0 }, counter: true };
  let env: unknown;
  try {
    env = serializer.deserialize(raw);
  } catch (error) {
    onError(error);
    return undefined;
  }
  return isEnvelope(env) ? { env, counter: false } : undefined;
}
