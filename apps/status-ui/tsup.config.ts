import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// One IIFE for the browser (no framework, no chart library: the charts are small SVG paths).
export default defineConfig({
  entry: { status: 'src/status.ts' },
  format: ['iife'],
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: true,
  clean: true,
  dts: false,
  outExtension: () => ({ js: '.js' }),
  onSuccess: async () => {
    copyFileSync('src/index.html', 'dist/index.html');
  },
});
