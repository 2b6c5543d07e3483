/** One AES-256 key: `id` goes into every value it seals, so reads know which key to use. */
export interface EncryptionKey {
  /** 1–16 characters of `A–Z a–z 0–9 . _ -`; stored in clear in each value's header. */
  id: string;
  /** 32 bytes: a Buffer, or its base64 (or base64url) text. */
  key: Buffer | string;
}

/**
 * Values in Redis are sealed with AES-256-GCM. `keys[0]` seals new writes; every listed key opens
 * reads, so keys rotate without a flush (see the README's rotation procedure).
 */
export interface EncryptionOptions {
  keys: readonly [EncryptionKey, ...EncryptionKey[]];
}

/** Options of `cache.namespace(name, options)`. */
export interface NamespaceOptions {
  /** Seal the values of this namespace (and its sub-namespaces) in Redis. */
  encryption?: EncryptionOptions;
}

/** Why a value in an encrypted namespace was not served (counted as `error` / operation `decrypt`). */
export type DecryptFailure = 'malformed' | 'unknown-key' | 'auth';
