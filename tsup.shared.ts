import type { Options } from 'tsup';

/** ESM + CJS + .d.ts for every publishable package. */
export const libraryBuild = (entry: Record<string, string>): Options => ({
  entry,
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  splitting: false,
  treeshake: true,
});
