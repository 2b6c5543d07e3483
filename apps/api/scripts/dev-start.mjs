#!/usr/bin/env node
// `pnpm start`: the demo start. Bundles the app from source with esbuild (about a second, no
// turbo, no type declarations), runs its own throwaway redis-server unless REDIS_* is set, waits
// until the app answers and prints one banner. Only this script starts a Redis: the app and the
// packages never do.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const started = performance.now();
const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const root = resolve(appDir, '../..');
const outDir = join(appDir, 'dist/dev');
const env = { ...process.env };
env.NODE_ENV ??= 'development';
env.LOG_LEVEL ??= 'warn';
const say = (line) => process.stdout.write(`${line}\n`);
const fail = (line) => {
  process.stderr.write(`start: ${line}\n`);
  process.exit(1);
};

const portFree = (port, host) =>
  new Promise((ok) => {
    const probe = createServer();
    probe.once('error', () => ok(false));
    probe.listen(port, host, () => probe.close(() => ok(true)));
  });
const freePort = () =>
  new Promise((ok, ko) => {
    const probe = createServer();
    probe.once('error', ko);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
  });

// 1. The port first: a busy one is reported before anything slow happens.
const host = env.HOST || '0.0.0.0';
let port = Number(env.PORT || 3000);
if (port === 0) port = await freePort();
if (!(await portFree(port, host)))
  fail(`PORT=${port} is already in use: stop the other process or run PORT=3001 pnpm start`);
env.PORT = String(port);

// 2. Redis: yours when any REDIS_* is set, else a throwaway server, else memory-only.
let redisNote;
let redis;
const configured = Object.keys(env).some((k) => k.startsWith('REDIS_') && env[k] !== '');
const hasRedisServer = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
if (configured) {
  redisNote = 'from your REDIS_* environment';
} else if (hasRedisServer) {
  const redisPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redis-toolkit-start-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(redisPort),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    // Own process group: Ctrl-C reaches only this script, which stops Redis after the app.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let out = '';
  const ready = new Promise((ok, ko) => {
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('Ready to accept connections')) ok();
    });
    child.once('exit', (code) =>
      ko(new Error(`redis-server exited (${code}): ${out.slice(-300)}`)),
    );
  });
  redis = { child, dir };
  await ready.catch((e) => fail(e.message));
  env.REDIS_URL = `redis://127.0.0.1:${redisPort}`;
  redisNote = `a throwaway redis-server started for this run (temp dir, nothing saved, stopped on exit); set REDIS_URL to use yours`;
} else {
  env.REDIS_ENABLED = 'false';
  say(
    'start: redis-server is not on PATH: running memory-only (install redis-server or set REDIS_URL to use Redis)',
  );
  redisNote = 'memory-only: no redis-server on PATH and no REDIS_URL';
}

const stopRedis = () => {
  if (!redis) return;
  const r = redis;
  redis = undefined;
  r.child.kill('SIGTERM');
  rmSync(r.dir, { recursive: true, force: true });
};
process.on('exit', stopRedis);

// 3. Bundle the app and the workspace packages from source; every other import stays external,
// resolved here to its installed file (the packages' own dependencies are not the app's).
const pkgSrc = {
  cache: { '.': 'index.ts', express: 'express/index.ts' },
  connection: { '.': 'index.ts' },
  jobs: { '.': 'index.ts' },
  'rate-limit': { '.': 'index.ts' },
  session: { '.': 'index.ts' },
  'token-blacklist': { '.': 'index.ts' },
};
const workspaceFromSource = {
  name: 'workspace-from-source',
  setup(b) {
    b.onResolve({ filter: /^@redis-toolkit\/[^/]+/ }, (args) => {
      const [, pkg, sub = '.'] = /^@redis-toolkit\/([^/]+)(?:\/(.+))?$/.exec(args.path);
      const file = pkgSrc[pkg]?.[sub];
      return file ? { path: join(root, 'packages', pkg, 'src', file) } : undefined;
    });
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
      const found = await b.resolve(args.path, {
        kind: args.kind,
        resolveDir: args.resolveDir,
        pluginData: 'resolving',
      });
      if (found.errors.length) return { errors: found.errors };
      return { path: pathToFileURL(found.path).href, external: true };
    });
  },
};
mkdirSync(outDir, { recursive: true });
try {
  await build({
    entryPoints: {
      main: join(appDir, 'src/main.ts'),
      banner: join(appDir, 'src/status/banner.ts'),
    },
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'error',
    plugins: [workspaceFromSource],
  });
  const ui = join(root, 'apps/status-ui');
  mkdirSync(join(ui, 'dist'), { recursive: true });
  await build({
    entryPoints: [join(ui, 'src/status.ts')],
    outfile: join(ui, 'dist/status.js'),
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    minify: true,
    logLevel: 'error',
  });
  copyFileSync(join(ui, 'src/index.html'), join(ui, 'dist/index.html'));
} catch {
  fail('the build failed (errors above)');
}
if (!existsSync(join(outDir, 'main.js'))) fail('the build produced no dist/dev/main.js');
const { startBanner } = await import(pathToFileURL(join(outDir, 'banner.js')).href);

// 4. Run the app; its JSON log lines become short text lines, held back until the banner.
// Own process group too: a terminal's Ctrl-C would otherwise signal it twice (directly and
// forwarded), and a second SIGINT cuts its graceful shutdown short.
const app = spawn(process.execPath, ['--enable-source-maps', join(outDir, 'main.js')], {
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
process.on('exit', () => {
  if (app.exitCode === null && app.signalCode === null) app.kill('SIGKILL');
});
let ready = false;
const held = [];
const format = (raw) => {
  try {
    const { level, msg, time, pid, hostname, component, ...rest } = JSON.parse(raw);
    const name = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }[
      level
    ];
    const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
    return `${new Date(time).toTimeString().slice(0, 8)} ${name}${component ? ` [${component}]` : ''} ${msg}${extra}`;
  } catch {
    return raw;
  }
};
let partial = '';
app.stdout.on('data', (chunk) => {
  const lines = (partial + chunk).split('\n');
  partial = lines.pop();
  for (const line of lines.filter(Boolean)) {
    if (ready) say(format(line));
    else held.push(line);
  }
});
app.stderr.on('data', (chunk) => process.stderr.write(chunk));
// A SIGKILL of this script runs no exit handler, and both children sit in their own process
// groups: a watchdog outside them stops the app and the throwaway Redis when this script is gone.
spawn(
  'sh',
  [
    '-c',
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; kill "$2" $3 2>/dev/null; [ -n "$4" ] && rm -rf "$4"',
    'watchdog',
    String(process.pid),
    String(app.pid),
    redis ? String(redis.child.pid) : '',
    redis ? redis.dir : '',
  ],
  { stdio: 'ignore', detached: true },
).unref();
app.once('exit', (code, signal) => {
  if (!ready) for (const line of held) say(format(line));
  stopRedis();
  process.exit(code ?? (signal ? 1 : 0));
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => app.kill('SIGTERM'));

const url = `http://localhost:${port}`;
for (;;) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health`);
    if (res.ok) break;
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 100));
}
ready = true;
say(
  startBanner({
    url,
    env,
    redisNote,
    startedMs: performance.now() - started,
    throwawayRedis: redis !== undefined,
    notes: held.map((line) => {
      try {
        return JSON.parse(line).msg;
      } catch {
        return line;
      }
    }),
  }),
);
