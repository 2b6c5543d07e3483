import { encodeKeySegment, type KeySegment } from '@redis-toolkit/connection';

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
 * gives `keys.patient('42')` → `'dental:patient:42'`. Every segment goes through the toolkit's
 * `encodeKeySegment`, so an id holding `:`, `*`, `?`, `[`, `]`, `\`, braces or a newline can
 * neither collide with another key nor widen a pattern.
 */
export function defineKeys<B extends Builders>(namespace: string, builders: B): DefinedKeys<B> {
  const ns = encodeKeySegment(namespace);
  const join = (segments: readonly KeySegment[]): string =>
    segments.map(encodeKeySegment).join(':');
  const out: Record<string, unknown> = {
    $namespace: ns,
    $pattern: (...segments: KeySegment[]) =>
      segments.length === 0 ? `${ns}:*` : `${ns}:${join(segments)}:*`,
  };
  for (const [name, build] of Object.entries(builders)) {
    out[name] = (...args: never[]) => {
      const segments = build(...args);
      return segments.length === 0 ? ns : `${ns}:${join(segments)}`;
    };
  }
  return out as DefinedKeys<B>;
}
