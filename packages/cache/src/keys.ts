/** One part of a key built by `defineKeys`. */
export type KeySegment = string | number | boolean | bigint;

// `%` first so encoded output can never be confused with input; then the key separator, every
// Redis glob metacharacter, Cluster hash-tag braces, and whitespace/control characters.
const UNSAFE = /[%:*?[\]\\{}^\s\p{Cc}]/gu;

/** Percent-encodes the characters that could split a key, widen a glob pattern or pick a Cluster slot. */
export function encodeSegment(segment: KeySegment): string {
  return String(segment).replace(UNSAFE, (ch) => {
    const bytes = Buffer.from(ch, 'utf8');
    let out = '';
    for (const b of bytes) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    return out;
  });
}

/** Escapes Redis glob metacharacters so `text` matches only itself in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (ch) => `\\${ch}`);
}

/** Redis glob (`*`, `?`, `[...]`, `[^...]`, `\x`) to an anchored RegExp, for L1 pattern deletes. */
export function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') out += '[\\s\\S]*';
    else if (ch === '?') out += '[\\s\\S]';
    else if (ch === '\\' && i + 1 < glob.length) out += escapeRegExp(glob[++i]!);
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

type Builders = Record<string, (...args: never[]) => readonly KeySegment[]>;

/** The typed key builders `defineKeys` returns, plus `$pattern` for pattern deletes. */
export type DefinedKeys<B extends Builders> = {
  readonly [K in keyof B]: (...args: Parameters<B[K]>) => string;
} & {
  /** The (encoded) namespace every key starts with. */
  readonly $namespace: string;
  /** A glob matching every key under `namespace:...segments:`; segments are encoded, so input cannot widen it. */
  $pattern(...segments: KeySegment[]): string;
};

/**
 * Typed key builders: `defineKeys('dental', { patient: (id: string) => ['patient', id] })`
 * gives `keys.patient('42')` → `'dental:patient:42'`. Every segment is encoded, so an id holding
 * `:`, `*`, `?`, `[`, `]`, `\`, braces or a newline can neither collide with another key nor
 * widen a pattern.
 */
export function defineKeys<B extends Builders>(namespace: string, builders: B): DefinedKeys<B> {
  const ns = encodeSegment(namespace);
  const out: Record<string, unknown> = {
    $namespace: ns,
    $pattern: (...segments: KeySegment[]) =>
      segments.length === 0 ? `${ns}:*` : `${ns}:${segments.map(encodeSegment).join(':')}:*`,
  };
  for (const [name, build] of Object.entries(builders)) {
    out[name] = (...args: never[]) => {
      const segments = build(...args);
      return segments.length === 0 ? ns : `${ns}:${segments.map(encodeSegment).join(':')}`;
    };
  }
  return out as DefinedKeys<B>;
}
