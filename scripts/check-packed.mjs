#!/usr/bin/env node
// Proves every publishable package works as a user installs it: `pnpm pack` each one, install the
// tarballs alone in a fresh temp project (no workspace links), then import and require every
// `exports` entry, check ESM and CJS expose the same names, and type-check both under NodeNext.
// Usage: node scripts/check-packed.mjs [package-dir-name ...] (default: every publishable package)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] }).toString();

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    json: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')),
  }))
  .filter((p) => !p.json.private)
  .filter(
    (p) =>
      process.argv.length <= 2 || process.argv.slice(2).some((n) => p.json.name.endsWith(`/${n}`)),
  );

const work = mkdtempSync(join(tmpdir(), 'redis-toolkit-packed-'));
let failures = 0;
try {
  const tarballs = packages.map((p) => {
    if (!existsSync(join(p.dir, 'dist')))
      throw new Error(`${p.json.name} is not built: run pnpm build first`);
    const out = run('pnpm', ['pack', '--pack-destination', work], p.dir).trim().split('\n').pop();
    return out.startsWith('/') ? out : join(work, out);
  });
  // ioredis's declarations import `redis-errors`, whose types it lists only as a dev dependency
  // (ioredis 5.11 and 6.1): under skipLibCheck false a user needs them too, or tsc fails inside ioredis.
  const peers = new Set([
    'typescript@~5.9.3',
    '@types/node@^20',
    '@types/express@^5',
    '@types/redis-errors@^1.2.1',
  ]);
  for (const p of packages) {
    for (const [name, range] of Object.entries(p.json.peerDependencies ?? {}))
      peers.add(`${name}@${range.split('||').pop().trim()}`);
  }
  const app = join(work, 'consumer');
  run('mkdir', ['-p', app], work);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
  run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...peers],
    app,
  );

  const entries = packages.flatMap((p) =>
    Object.keys(p.json.exports)
      .filter((k) => k !== './package.json')
      .map((k) => (k === '.' ? p.json.name : `${p.json.name}/${k.slice(2)}`)),
  );
  writeFileSync(
    join(app, 'esm.mjs'),
    `const out = {};\n${entries.map((e, i) => `import * as m${i} from '${e}';\nout['${e}'] = Object.keys(m${i}).filter((k) => k !== 'default' && k !== 'module.exports').sort();`).join('\n')}\nconsole.log(JSON.stringify(out));\n`,
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const out = {};\n${entries.map((e) => `out['${e}'] = Object.keys(require('${e}')).sort();`).join('\n')}\nconsole.log(JSON.stringify(out));\n`,
  );
  const esm = JSON.parse(run(process.execPath, ['esm.mjs'], app));
  const cjs = JSON.parse(run(process.execPath, ['cjs.cjs'], app));
  for (const e of entries) {
    const a = JSON.stringify(esm[e]);
    const b = JSON.stringify(cjs[e]);
    if (!esm[e]?.length) {
      console.error(`✗ ${e}: ESM import exposes no names`);
      failures++;
    } else if (a !== b) {
      console.error(`✗ ${e}: ESM ${a} differs from CJS ${b}`);
      failures++;
    } else {
      console.log(`✓ ${e}: import and require expose ${esm[e].length} names`);
    }
  }
  writeFileSync(
    join(app, 'types.mts'),
    `${entries.map((e, i) => `import * as t${i} from '${e}';`).join('\n')}\nexport const all = [${entries.map((_, i) => `t${i}`).join(', ')}];\n`,
  );
  writeFileSync(
    join(app, 'types.cts'),
    `${entries.map((e, i) => `import t${i} = require('${e}');`).join('\n')}\nexport const all = [${entries.map((_, i) => `t${i}`).join(', ')}];\n`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
      },
      files: ['types.mts', 'types.cts'],
    }),
  );
  try {
    run(join(app, 'node_modules/.bin/tsc'), ['-p', '.'], app);
    console.log(
      `✓ type-check under import (types.mts) and require (types.cts) for ${entries.length} entry points`,
    );
  } catch (error) {
    // tsc reports its errors on stdout, which `run` captures
    process.stderr.write(String(error?.stdout ?? ''));
    console.error('✗ type-check of the installed packages failed (see above)');
    failures++;
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (failures) {
  console.error(`${failures} packed-package check(s) failed`);
  process.exit(1);
}
console.log(`packed: ${packages.length} passed, 0 failed`);
