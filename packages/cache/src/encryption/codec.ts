import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { DecryptFailure } from './types.js';

/** Envelope version 1: `01 | idLen | id | iv(12) | tag(16) | ciphertext`. */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** The opened values kept for reuse (see Codec#open): keys, and the size of one sealed value. */
const REUSE_KEYS = 256;
const REUSE_MAX_BYTES = 64 * 1024;

export interface ResolvedKey {
  id: string;
  /** 32 bytes, copied at resolve time (a Buffer key opened faster than a KeyObject in a micro-benchmark). */
  key: Buffer;
}

/** IVs come from one CSPRNG draw per 256 values (one draw per value measured about half the cost of the cipher). */
const IV_POOL = 256 * IV_BYTES;
let ivPool = Buffer.alloc(0);
let ivAt = IV_POOL;

function nextIv(): Buffer {
  if (ivAt >= ivPool.length) {
    ivPool = randomBytes(IV_POOL); // a fresh buffer: no IV is ever handed out twice
    ivAt = 0;
  }
  const iv = ivPool.subarray(ivAt, ivAt + IV_BYTES);
  ivAt += IV_BYTES;
  return iv;
}

/**
 * Seals and opens values with AES-256-GCM. The additional authenticated data is the header plus
 * the full logical key, so a value copied under another key (or a rewritten key id) fails to open.
 */
export class Codec {
  // #private: key bytes never show in util.inspect / console.log of the cache
  readonly #current: ResolvedKey;
  readonly #currentHeader: Buffer;
  readonly #byId: Map<string, ResolvedKey>;
  /** Identifies the key set, so one prefix cannot be configured twice with different keys. */
  readonly fingerprint: string;
  /**
   * Per logical key, the last value opened and its plaintext: a hot entry is read many times
   * between two writes, and the same sealed bytes under the same key open to the same plaintext,
   * so a byte-for-byte equal value is not deciphered again. Anything else (another key, other
   * bytes, a rewritten envelope) is opened and authenticated as usual. Text only: a string cannot
   * be changed by whoever receives it, a Buffer handed to a custom serializer could.
   */
  readonly #opened = new Map<string, { sealed: Buffer; data: string }>();

  constructor(keys: readonly ResolvedKey[], fingerprint: string) {
    this.#current = keys[0] as ResolvedKey;
    this.#currentHeader = header(this.#current.id);
    this.#byId = new Map(keys.map((k) => [k.id, k]));
    this.fingerprint = fingerprint;
  }

  seal(fullKey: string, plaintext: string | Buffer): Buffer {
    const head = this.#currentHeader;
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#current.key, iv);
    cipher.setAAD(aad(head, fullKey));
    const body =
      typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
    const last = cipher.final();
    return Buffer.concat([head, iv, cipher.getAuthTag(), body, last]);
  }

  /**
   * The plaintext (a string when `text`: decoded once, straight from the decipher), or why it
   * cannot be trusted. Never throws.
   */
  open(fullKey: string, sealed: Buffer, text: boolean): Opened {
    if (!text) return this.#decipher(fullKey, sealed, false);
    const last = this.#opened.get(fullKey);
    if (last?.sealed.equals(sealed)) return { data: last.data };
    const opened = this.#decipher(fullKey, sealed, true);
    if (opened.failure === undefined && sealed.length <= REUSE_MAX_BYTES) {
      if (last !== undefined)
        this.#opened.delete(fullKey); // re-inserted last: the newest
      else if (this.#opened.size >= REUSE_KEYS) {
        const oldest = this.#opened.keys().next().value;
        if (oldest !== undefined) this.#opened.delete(oldest);
      }
      // a copy: the reply buffer may be a slice of a larger one ioredis reuses
      this.#opened.set(fullKey, { sealed: Buffer.from(sealed), data: opened.data as string });
    }
    return opened;
  }

  #decipher(fullKey: string, sealed: Buffer, text: boolean): Opened {
    if (sealed.length < 3 + IV_BYTES + TAG_BYTES || sealed[0] !== VERSION) return MALFORMED;
    const idLen = sealed[1] as number;
    const start = 2 + idLen;
    if (idLen < 1 || idLen > 16 || sealed.length < start + IV_BYTES + TAG_BYTES) return MALFORMED;
    const entry = this.#byId.get(sealed.toString('latin1', 2, start));
    if (!entry) return UNKNOWN_KEY;
    const iv = sealed.subarray(start, start + IV_BYTES);
    const tag = sealed.subarray(start + IV_BYTES, start + IV_BYTES + TAG_BYTES);
    const body = sealed.subarray(start + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, iv);
      decipher.setAAD(aad(sealed.subarray(0, start), fullKey));
      decipher.setAuthTag(tag);
      // nothing is handed out before final() has checked the tag
      if (text) {
        const out = decipher.update(body, undefined, 'utf8');
        return { data: out + decipher.final('utf8') };
      }
      const out = decipher.update(body);
      const last = decipher.final();
      return { data: last.length === 0 ? out : Buffer.concat([out, last]) };
    } catch {
      return AUTH;
    }
  }
}

export type Opened = { data: string | Buffer; failure?: undefined } | { failure: DecryptFailure };
const MALFORMED: Opened = { failure: 'malformed' };
const UNKNOWN_KEY: Opened = { failure: 'unknown-key' };
const AUTH: Opened = { failure: 'auth' };

function header(id: string): Buffer {
  return Buffer.concat([Buffer.from([VERSION, id.length]), Buffer.from(id, 'latin1')]);
}

function aad(head: Buffer, fullKey: string): Buffer {
  return Buffer.concat([head, Buffer.from(fullKey, 'utf8')]);
}

export function fingerprintOf(keys: readonly { id: string; bytes: Buffer }[]): string {
  const h = createHash('sha256');
  for (const k of keys) h.update(k.id).update('\0').update(k.bytes);
  return h.digest('base64url');
}
