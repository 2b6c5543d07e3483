#!/usr/bin/env node
// Runs a smoke set of the test suites against the ioredis major the lockfile does not pin, so the
// peer range `^5.9.2 || ^6.0.0` is proven on both ends. The repo is copied to a temp dir (never
// touching this checkout's node_modules or lockfile), `pnpm.overrides` forces one ioredis version
// on every package there, and the script fails unless each package really resolved that version.
// Usage: node scripts/test-ioredis-compat.mjs [--version 6.0.0] [--ref <commit>] [--keep] [--only jobs,session]
// --ref copies that commit (git archive) instead of the working tree, e.g. --ref HEAD; --only runs
// the smoke files of the named packages alone (all packages are still installed and built).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const version = option('--version', '6.0.0');
const keep = flag('--keep');
const ref = option('--ref', undefined);
const root = new URL('..', import.meta.url).pathname;

// Files chosen so each package runs its standalone, Cluster and Sentinel paths (describeEachTopology)
// plus its main outage path, and cache its pub/sub bus (RESP3, v6's default, delivers it as push
// frames) and its CLIENT TRACKING subscriber (pinned to RESP2), while the whole run stays within a
// few minutes on 2 cores.
const SMOKE = {
  connection: [], // every test file of the package
  cache: [
    'test/behaviour.test.ts',
    'test/failure.test.ts',
    'test/bus.test.ts',
    'test/tracking.test.ts',
  ],
  'rate-limit': ['test/limiter.test.ts', 'test/http.test.ts'],
  session: ['test/session.test.ts'],
  'token-blacklist': ['test/blacklist.test.ts', 'test/outage.test.ts'],
  // BullMQ brings its own ioredis dependency: the override makes it use the same (v6) copy.
  jobs: ['test/jobs.test.ts', 'test/modes.test.ts', 'test/outage.test.ts'],
};
const only = option('--only', undefined)?.split(',');
for (const name of only ?? []) {
  if (!(name in SMOKE)) {
    console.error(`--only ${name}: not one of ${Object.keys(SMOKE).join(', ')}`);
    process.exit(2);
  }
}

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;
const log = (msg) => console.log(`[ioredis-compat ${elapsed()}] ${msg}`);

// Under `pnpm run` (CI calls it through npx), use that same pnpm even when none is on PATH.
const pnpmJs = /pnpm/.test(process.env.npm_execpath ?? '') ? process.env.npm_execpath : undefined;

function sh(cmd, cmdArgs, cwd) {
  const [file, argv] =
    cmd === 'pnpm' && pnpmJs && /\.c?js$/.test(pnpmJs)
      ? [process.execPath, [pnpmJs, ...cmdArgs]]
      : [cmd, cmdArgs];
  const r = spawnSync(file, argv, { cwd, stdio: 'inherit', env: process.env });
  return r.status === 0;
}

/** Tracked plus untracked-but-not-ignored files, so a local run sees what the developer sees. */
function repoFiles() {
  const out = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: root },
  ).toString();
  return [...new Set(out.split('\0').filter(Boolean))].filter(
    (f) => !f.split('/').includes('node_modules') && existsSync(join(root, f)),
  );
}

function copyRepo(dest) {
  if (ref) {
    const tar = execFileSync('git', ['archive', '--format=tar', ref], {
      cwd: root,
      maxBuffer: 1 << 30,
    });
    execFileSync('tar', ['-x', '-C', dest], { input: tar });
    return `${ref} (git archive)`;
  }
  const files = repoFiles();
  for (const f of files) {
    mkdirSync(dirname(join(dest, f)), { recursive: true });
    copyFileSync(join(root, f), join(dest, f));
  }
  return `${files.length} working-tree files`;
}

function addOverride(dest) {
  const path = join(dest, 'package.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.pnpm = { ...json.pnpm, overrides: { ...json.pnpm?.overrides, ioredis: version } };
  writeFileSync(path, `${JSON.stringify(json, null, 2)}\n`);
}

/** The ioredis each package sees; all must be `version` and one physical copy. */
function checkResolved(dest) {
  const dirs = [...Object.keys(SMOKE), 'testing'].map((p) => join(dest, 'packages', p));
  const copies = new Set();
  let ok = true;
  for (const dir of dirs) {
    const name = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name;
    let found = 'not resolvable';
    try {
      const pkgJson = createRequire(join(dir, 'package.json')).resolve('ioredis/package.json');
      found = JSON.parse(readFileSync(pkgJson, 'utf8')).version;
      copies.add(realpathSync(dirname(pkgJson)));
    } catch {
      // reported below as a mismatch
    }
    console.log(`  ${name.padEnd(32)} ioredis ${found}`);
    if (found !== version) ok = false;
  }
  if (copies.size > 1) {
    console.log(`  ${copies.size} different ioredis copies: ${[...copies].join(', ')}`);
    ok = false;
  }
  return ok;
}

const work = mkdtempSync(join(tmpdir(), 'redis-toolkit-ioredis-'));
const results = [];
let exitCode = 0;
try {
  log(`copying ${copyRepo(work)} to ${work}`);
  addOverride(work);
  log(`pnpm install with pnpm.overrides ioredis=${version}`);
  if (!sh('pnpm', ['install', '--no-frozen-lockfile', '--reporter=append-only'], work))
    throw new Error('pnpm install failed');

  log('resolved ioredis per package:');
  if (!checkResolved(work)) throw new Error(`not every package resolved ioredis ${version}`);

  // A type error against the other major fails the run but must not hide the test results:
  // tsup writes the JS before the DTS step fails, so the tests can still run.
  log('building packages (tsup type-checks each package against this ioredis)');
  const built = sh(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=./packages/*',
      '--continue',
      '--output-logs=errors-only',
    ],
    work,
  );
  results.push({ pkg: 'build', ok: built, seconds: Math.round((Date.now() - started) / 1000) });
  if (!built) exitCode = 1;

  for (const [pkg, files] of Object.entries(SMOKE)) {
    if (only && !only.includes(pkg)) continue;
    const t0 = Date.now();
    log(`vitest ${pkg} ${files.length ? files.join(' ') : '(all files)'}`);
    const ok = sh('pnpm', ['exec', 'vitest', 'run', ...files], join(work, 'packages', pkg));
    results.push({ pkg, ok, seconds: Math.round((Date.now() - t0) / 1000) });
    if (!ok) exitCode = 1;
  }
} catch (error) {
  console.error(`[ioredis-compat] ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  for (const r of results) log(`${r.ok ? 'PASS' : 'FAIL'} ${r.pkg} (${r.seconds}s)`);
  log(`${exitCode === 0 ? 'all passed' : 'FAILED'} against ioredis ${version}`);
  if (keep) log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
