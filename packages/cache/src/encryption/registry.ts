import { CacheConfigError } from '../errors.js';
import type { Codec } from './codec.js';

/**
 * Which key prefixes are encrypted. Encryption belongs to the key space, not to a view: every
 * access under an encrypted prefix (the namespace, its sub-namespaces, the root cache reaching
 * into it) seals and opens; the longest registered prefix wins.
 */
export class CodecRegistry {
  private entries: { prefix: string; codec: Codec }[] = [];

  get empty(): boolean {
    return this.entries.length === 0;
  }

  register(prefix: string, codec: Codec): void {
    const existing = this.entries.find((e) => e.prefix === prefix);
    if (existing) {
      if (existing.codec.fingerprint === codec.fingerprint) return;
      throw new CacheConfigError(
        'encryption',
        `"${prefix}" already has encryption with other keys in this process; configure it once`,
      );
    }
    this.entries = [...this.entries, { prefix, codec }].sort(
      (a, b) => b.prefix.length - a.prefix.length,
    );
  }

  codecFor(fullKey: string): Codec | undefined {
    for (const e of this.entries) if (fullKey.startsWith(e.prefix)) return e.codec;
    return undefined;
  }
}
