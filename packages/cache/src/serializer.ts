import { CacheSerializationError } from './errors.js';

/** Turns a value into what Redis stores and back. `binary: true` makes the cache read Buffers. */
export interface Serializer {
  readonly name: string;
  readonly binary: boolean;
  serialize(value: unknown): string | Buffer;
  deserialize(data: string | Buffer): unknown;
}

/**
 * JSON (the default). Round trip: `null` stays `null`; a `Date` comes back as its ISO string;
 * `undefined` object properties are dropped and `undefined` array items become `null`;
 * BigInt and circular structures are rejected with CacheSerializationError.
 */
export const jsonSerializer: Serializer = {
  name: 'json',
  binary: false,
  serialize: (value) => JSON.stringify(value),
  deserialize: (data) => JSON.parse(typeof data === 'string' ? data : data.toString('utf8')),
};

/** Anything with msgpackr's `pack`/`unpack` (e.g. `new Packr({ useRecords: false })`). Dates round-trip as Dates. */
export interface MsgpackLike {
  pack(value: unknown): Buffer | Uint8Array;
  unpack(data: Buffer | Uint8Array): unknown;
}

/** A binary serializer over msgpackr (an optional dependency you install and pass in). */
export function msgpackSerializer(packr: MsgpackLike): Serializer {
  return {
    name: 'msgpack',
    binary: true,
    serialize: (value) => {
      const out = packr.pack(value);
      return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    },
    deserialize: (data) =>
      packr.unpack(typeof data === 'string' ? Buffer.from(data, 'latin1') : data),
  };
}

/** Serializes or throws CacheSerializationError; never returns undefined. */
export function serializeOrThrow(
  serializer: Serializer,
  value: unknown,
  key: string | undefined,
): string | Buffer {
  let out: string | Buffer | undefined;
  try {
    out = serializer.serialize(value);
  } catch (error) {
    throw new CacheSerializationError(key, error);
  }
  if (out === undefined)
    throw new CacheSerializationError(key, new Error('serializer returned undefined'));
  return out;
}

/**
 * Size of serialized data for the L1 memory bound: bytes for a Buffer, UTF-16 length for a string
 * (O(1); equals the UTF-8 byte count for ASCII, under-counts multi-byte text by up to 3x).
 */
export function sizeOf(data: string | Buffer): number {
  return typeof data === 'string' ? data.length : data.byteLength;
}
