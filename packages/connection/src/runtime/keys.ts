import type { RedisClient } from '../types.js';

/** Anything a caller may put into one segment of a key. */
export type KeySegment = string | number | boolean | bigint;

// `%` first, so encoded output can never be confused with input; then the key separator, every
// Redis glob metacharacter, Cluster hash-tag braces, whitespace and control characters (NUL too).
// With the `u` flag a surrogate range matches only LONE surrogates (pairs are one code point).
const UNSAFE = /[%:*?[\]\\{}^\s\p{Cc}\uD800-\uDFFF]/u;
const UNSAFE_ALL = /[%:*?[\]\\{}^\s\p{Cc}\uD800-\uDFFF]/gu;

/**
 * Percent-encodes one key segment so request input can neither split a key, collide with another,
 * widen a SCAN pattern nor pick a Cluster slot. Never throws: a lone surrogate (which
 * `encodeURIComponent` refuses) becomes `%uD800`, distinct from every well-formed input.
 */
export function encodeKeySegment(segment: KeySegment): string {
  const text = String(segment);
  // Fast path: most ids (numbers, uuids, e-mails) need no encoding.
  if (!UNSAFE.test(text)) return text;
  return text.replace(UNSAFE_ALL, (ch) => {
    if (ch.length === 1 && ch >= '\uD800' && ch <= '\uDFFF') {
      return `%u${ch.charCodeAt(0).toString(16).toUpperCase()}`;
    }
    let out = '';
    for (const byte of Buffer.from(ch, 'utf8')) {
      out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
    return out;
  });
}

/** Escapes Redis glob metacharacters so `text` matches only itself in SCAN MATCH or KEYS. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`);
}

/** Redis glob (`*`, `?`, `[...]`, `[^...]`, `\x`) to an anchored RegExp, for memory-tier pattern deletes. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < glob.length) out += escapeRegExp(glob[++i] as string);
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let body = glob.slice(i + 1, end);
        const negate = body.startsWith('^');
        if (negate) body = body.slice(1);
        body = body.replace(/\\(.)/g, '$1').replace(/[\\\]^]/g, '\\$&');
        out += `[${negate ? '^' : ''}${body}]`;
        i = end;
      }
    } else out += escapeRegExp(ch);
  }
  return new RegExp(`${out}$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * The client's own ioredis `keyPrefix` (applied by ioredis to command keys, but NOT to SCAN MATCH
 * patterns nor stripped from SCAN results).
 */
export function keyPrefixOf(client: RedisClient | undefined | null): string {
  if (!client) return '';
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  return options.keyPrefix ?? options.redisOptions?.keyPrefix ?? '';
}

/**
 * The namespace of one package inside the app's prefix: `{prefix}{package}:`, so every package's
 * keys are `{prefix}{package}:…` whatever the app chose. `prefix` is taken as given (an app that
 * wants a separator ends it with `:`).
 */
export function packageNamespace(prefix: string, pkg: string): string {
  return `${prefix}${pkg}:`;
}

/** Wraps `text` in a Cluster hash tag after encoding it, so every key of one entity shares a slot. */
export function hashTag(segment: KeySegment): string {
  return `{${encodeKeySegment(segment)}}`;
}
