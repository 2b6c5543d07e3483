// Part of the api scenario: the full middleware stack against bare Express (each server in its
// own process, the load generator in this one, interleaved rounds, medians), and the Redis
// commands and round trips per request of a few routes.
import { mkdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import autocannon from 'autocannon';
import { type BenchContext, fmtRate, ratio, table } from '../context.js';
import { formatShares, summarizeProfile } from './profile-summary.js';
import { redisCounter } from './redis-per-request.js';
import { type ServerProcess, startServerProcess } from './servers.js';

const CONNECTIONS = 10;
/** Enough for the staff list and a session; the dashboard part uses the full seed. */
const SMALL_SEED = { SEED_PATIENTS: '200', SEED_APPOINTMENTS: '1000' };

const appEnv = (redisUrl: string): Record<string, string> => ({
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  NODE_ENV: 'test',
  REDIS_URL: redisUrl,
  ...SMALL_SEED,
  // Limits on (in Redis), far above what the run sends, so every request pays for the limiters.
  RATE_LIMIT_ENABLED: 'true',
  GLOBAL_RATE_LIMIT: '100000000',
  API_RATE_LIMIT: '100000000',
  // Job workers poll Redis in the background; this instance only enqueues (no route here does)
  WORKERS_ENABLED: 'false',
});

/** user + system CPU of a process so far, in µs (Linux /proc; 0 elsewhere). */
function cpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // utime and stime (fields 14 and 15 of stat), in clock ticks of 10 ms
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

interface Run {
  rps: number;
  p50: number;
  p99: number;
  failed: number;
  /** Server CPU per request, µs. */
  cpuUs: number;
  requests: number;
}

async function cannon(
  server: ServerProcess,
  path: string,
  seconds: number,
  headers: Record<string, string>,
): Promise<Run> {
  const cpu0 = cpuMicros(server.pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${server.port}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
    pipelining: 1,
    headers,
  });
  const cpu = cpuMicros(server.pid) - cpu0;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failed: result.errors + result.timeouts + result.non2xx,
    cpuUs: result.requests.total > 0 ? cpu / result.requests.total : 0,
    requests: result.requests.total,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return 0;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

/**
 * API_BENCH_PROFILE=<dir>: after the rounds, one more run per server and route under the V8
 * sampling profiler (100 µs), written to <dir>/<server>-<route>.cpuprofile and summarized on the
 * console (self time by owner and function). Not part of the recorded figures: the profiler
 * slows what it samples.
 */
async function profileServers(
  dir: string,
  servers: { label: string; server: ServerProcess; only?: string }[],
  routes: { path: string; headers: Record<string, string> }[],
  seconds: number,
  serves: (only: string | undefined, path: string) => boolean,
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (const { path, headers } of routes) {
    for (const { label, server, only } of servers) {
      if (!serves(only, path)) continue;
      const name = `${label}-${path}`.replace(/[^a-z0-9]+/gi, '-').replace(/-+$/, '');
      const file = resolve(dir, `${name}.cpuprofile`);
      server.profileStart();
      const run = await cannon(server, path, seconds, headers);
      await server.profileStop(file);
      console.log(formatShares(`${label} ${path}`, summarizeProfile(file), run.requests));
    }
  }
}

/** An admin's dental staff session cookie, as request headers. */
export async function signIn(port: number): Promise<Record<string, string>> {
  const login = await fetch(`http://127.0.0.1:${port}/dental/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@dental.test', password: 'demo-password' }),
  });
  if (login.status !== 200) throw new Error(`dental sign-in for the bench: ${login.status}`);
  return {
    cookie: login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; '),
  };
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

/** The app's caches in `l1.mode: 'tier'` (memory + Redis, CLIENT TRACKING invalidation). */
const L1_ENV = { CACHE_L1_MAX_ENTRIES: '10000' };
const L1_LABEL = 'full stack, CACHE_L1_MAX_ENTRIES=10000 (memory tier, tracking)';

export async function stackVsBare(ctx: BenchContext, apiDist: string): Promise<string> {
  // explicit values apply to quick runs too (BENCH_QUICK=1 records nothing: for tuning)
  const rounds = Number(process.env.API_BENCH_ROUNDS ?? (ctx.quick ? 1 : 5));
  const seconds = Number(process.env.API_BENCH_SECONDS ?? (ctx.quick ? 1 : 5));
  const full = await startServerProcess({
    type: 'start-app',
    apiDist,
    env: appEnv(ctx.redis.url),
  });
  // API_BENCH_COMPARE="before=/path/to/dist/index.js;…": other builds of the app, measured in the
  // same rounds (how each change of the request path was measured; see results/api.md)
  const others: { label: string; server: ServerProcess }[] = [
    // the same app with the caches' memory tier and Redis-assisted invalidation (tracking)
    {
      label: L1_LABEL,
      server: await startServerProcess({
        type: 'start-app',
        apiDist,
        env: { ...appEnv(ctx.redis.url), ...L1_ENV },
      }),
    },
  ];
  for (const item of (process.env.API_BENCH_COMPARE ?? '').split(';').filter(Boolean)) {
    const [label = '', dist = ''] = item.split('=');
    others.push({
      label,
      server: await startServerProcess({
        type: 'start-app',
        apiDist: dist,
        env: appEnv(ctx.redis.url),
      }),
    });
  }
  let bare: ServerProcess | undefined;
  let floor: ServerProcess | undefined;
  try {
    const staff = await signIn(full.port);
    const staffBody: unknown = await (
      await fetch(`http://127.0.0.1:${full.port}/dental/staff`, { headers: staff })
    ).json();
    bare = await startServerProcess({
      type: 'start-bare',
      routes: { '/health': null, '/dental/staff': staffBody },
    });
    floor = await startServerProcess({
      type: 'start-floor',
      routes: { '/dental/staff': staffBody },
      redisUrl: ctx.redis.url,
    });
    const routes = [
      { path: '/health', headers: {} },
      { path: '/dental/staff', headers: staff },
    ];
    const servers: { label: string; server: ServerProcess; only?: string }[] = [
      { label: 'bare', server: bare },
      { label: 'full', server: full },
      // only the route whose Redis work it repeats
      { label: 'floor', server: floor, only: '/dental/staff' },
      ...others,
    ];
    // Warm up: fill the response cache, JIT every server's paths.
    const serves = (only: string | undefined, path: string) => only === undefined || only === path;
    for (const { server, only } of servers)
      for (const { path, headers } of routes)
        if (serves(only, path)) await cannon(server, path, 1, headers);

    const runs = new Map<string, Run[]>();
    for (let r = 0; r < rounds; r++) {
      for (const { path, headers } of routes) {
        // rotating order: no server always runs first, or right after the same other one
        const order = servers.map((_, i) => servers[(i + r) % servers.length]!);
        if (r % 2 === 1) order.reverse();
        for (const { label, server, only } of order) {
          if (!serves(only, path)) continue;
          const key = `${label} ${path}`;
          runs.set(key, [...(runs.get(key) ?? []), await cannon(server, path, seconds, headers)]);
        }
      }
    }
    const profileDir = process.env.API_BENCH_PROFILE;
    if (profileDir) await profileServers(profileDir, servers, routes, seconds, serves);
    const med = (key: string): Run => {
      const list = runs.get(key) ?? [];
      return {
        rps: median(list.map((x) => x.rps)),
        p50: median(list.map((x) => x.p50)),
        p99: median(list.map((x) => x.p99)),
        failed: list.reduce((sum, x) => sum + x.failed, 0),
        cpuUs: median(list.map((x) => x.cpuUs)),
        requests: median(list.map((x) => x.requests)),
      };
    };
    /** Median (and range) of the per-round ratios: each round's pair ran back to back. */
    const pairedRatio = (key: string, baseline: string): string => {
      const list = runs.get(key) ?? [];
      const base = runs.get(baseline) ?? [];
      const ratios = list.map((x, i) => x.rps / (base[i]?.rps || Number.NaN));
      if (key === baseline || ratios.length === 0) return '1.00×';
      return `${median(ratios).toFixed(2)}× (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`;
    };
    const row = (name: string, key: string, baseline: string) => {
      const r = med(key);
      const b = med(baseline);
      return [
        name,
        fmtRate(r.rps),
        ms(r.p50),
        ms(r.p99),
        `${r.cpuUs.toFixed(0)} µs`,
        pairedRatio(key, baseline),
        ratio(r.rps, b.rps),
        String(r.failed),
      ];
    };
    const perRound = (key: string, baseline: string) => {
      const list = runs.get(key) ?? [];
      const base = runs.get(baseline) ?? [];
      return list.map((x, i) => ratio(x.rps, base[i]?.rps ?? 0)).join(' ');
    };
    return [
      '### Full middleware stack vs bare Express',
      '',
      `Each server in its own Node process, autocannon (${CONNECTIONS} connections) in the bench process, Redis in its own;`,
      `${rounds} rounds of ${seconds} s per row, the servers in a rotating order within each round; medians of the rounds; "per-round median" is the median of the ratios of the pairs that ran in one round (the figure the targets are read from), "median req/s vs bare" the ratio of the two medians.`,
      'Full stack = the app (helmet headers, request id + logging at level silent, Prometheus timing, global limiter,',
      'body parser, input guard; on /dental/staff also the API limiter, the staff session, CSRF check and the',
      'Redis response cache), limits counted in Redis, its own small PGlite. Bare = `express()` with one handler',
      'returning the same JSON. "server CPU" = user + system CPU of the server process per request.',
      '',
      table([
        [
          'route',
          'req/s',
          'p50',
          'p99',
          'server CPU / req',
          'vs bare, per-round median (range)',
          'median req/s vs bare',
          'errors + non-2xx',
        ],
        row('bare Express GET /health', 'bare /health', 'bare /health'),
        row('full stack GET /health', 'full /health', 'bare /health'),
        row(
          'bare Express GET /dental/staff (JSON in memory)',
          'bare /dental/staff',
          'bare /dental/staff',
        ),
        row(
          'full stack GET /dental/staff (session, limiters, cached response)',
          'full /dental/staff',
          'bare /dental/staff',
        ),
        row(
          "bare Express + the cached hit's three Redis commands (raw ioredis, one round trip): GET /dental/staff",
          'floor /dental/staff',
          'bare /dental/staff',
        ),
        ...others.flatMap(({ label }) => [
          row(`${label}: GET /health`, `${label} /health`, 'bare /health'),
          row(`${label}: GET /dental/staff`, `${label} /dental/staff`, 'bare /dental/staff'),
        ]),
      ]),
      '',
      `Ratio per round: /health ${perRound('full /health', 'bare /health')}; /dental/staff ${perRound('full /dental/staff', 'bare /dental/staff')}; /dental/staff with the memory tier ${perRound(`${L1_LABEL} /dental/staff`, 'bare /dental/staff')}; bare + Redis work ${perRound('floor /dental/staff', 'bare /dental/staff')}.`,
      '',
      'The "bare Express + Redis commands" row (bench/src/api/floor.ts) sends, with raw ioredis and no middleware, what the app\'s cached hit sends: the limiter script (two fixed windows), the session GET and the cache\'s MGET, together, then parses the session JSON. It marks how close to bare Express the full stack could get if every middleware cost nothing.',
    ].join('\n');
  } finally {
    await Promise.all([
      full.stop(),
      bare?.stop(),
      floor?.stop(),
      ...others.map((o) => o.server.stop()),
    ]);
  }
}

interface Counted {
  commands: number;
  roundTrips: number;
  names: string[];
  inScripts: string[];
}

const countRow = (name: string, counted: Counted): string[] => [
  name,
  String(counted.commands),
  counted.roundTrips.toFixed(1),
  [
    counted.names.join(', ') || '—',
    counted.inScripts.length ? `(in the script: ${counted.inScripts.join(', ')})` : '',
  ]
    .filter(Boolean)
    .join(' '),
];

/** Commands and round trips per request, counted on the scenario's own redis-server. */
export async function redisPerRequest(ctx: BenchContext, apiDist: string): Promise<string> {
  const { hostname, port } = new URL(ctx.redis.url);
  const counter = await redisCounter({ host: hostname, port: Number(port) });
  const app = await startServerProcess({
    type: 'start-app',
    apiDist,
    env: appEnv(counter.url),
  });
  try {
    const base = `http://127.0.0.1:${app.port}`;
    const staff = await signIn(app.port);
    const school = await fetch(`${base}/school/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'teacher@school.test', password: 'demo-password' }),
    });
    const { accessToken } = (await school.json()) as { accessToken: string };
    const teacher = { authorization: `Bearer ${accessToken}` };
    const routes: { name: string; path: string; headers: Record<string, string> }[] = [
      { name: 'GET /health', path: '/health', headers: {} },
      { name: 'GET /ready', path: '/ready', headers: {} },
      { name: 'GET /dental/staff (cached response)', path: '/dental/staff', headers: staff },
      { name: 'GET /dental/auth/me (no cache)', path: '/dental/auth/me', headers: staff },
      {
        name: 'GET /dental/dashboard/stats (cached value)',
        path: '/dental/dashboard/stats',
        headers: staff,
      },
      { name: 'GET /school/me (JWT, revocation mirror)', path: '/school/me', headers: teacher },
      {
        name: 'GET /school/roles/teacher (JWT, cached value)',
        path: '/school/roles/teacher',
        headers: teacher,
      },
    ];
    const requests = ctx.quick ? 10 : 40;
    const rows: string[][] = [['route', 'commands sent', 'round trips', 'commands (each request)']];
    for (const route of routes) {
      const get = async () => {
        const res = await fetch(`${base}${route.path}`, { headers: route.headers });
        const text = await res.text();
        if (res.status !== 200)
          throw new Error(`${route.path}: ${res.status} ${text.slice(0, 200)}`);
      };
      // fill caches and sessions' activity marks first: the table is the steady state
      for (let i = 0; i < 3; i++) await get();
      const counted = await counter.measure(requests, async () => {
        for (let i = 0; i < requests; i++) await get();
      });
      rows.push(countRow(route.name, counted));
    }
    // the cached staff list again on an app whose caches keep a memory tier (tracking)
    const tiered = await startServerProcess({
      type: 'start-app',
      apiDist,
      env: { ...appEnv(counter.url), ...L1_ENV },
    });
    try {
      const url = `http://127.0.0.1:${tiered.port}/dental/staff`;
      const headers = await signIn(tiered.port);
      const get = async () => {
        const res = await fetch(url, { headers });
        await res.text();
        if (res.status !== 200) throw new Error(`/dental/staff (memory tier): ${res.status}`);
      };
      for (let i = 0; i < 3; i++) await get();
      const counted = await counter.measure(requests, async () => {
        for (let i = 0; i < requests; i++) await get();
      });
      rows.push(
        countRow('GET /dental/staff (cached response, CACHE_L1_MAX_ENTRIES=10000)', counted),
      );
    } finally {
      await tiered.stop();
    }
    return [
      '### Redis per request',
      '',
      `${requests} sequential requests per route after 3 warm-up ones, the same app configuration as above.`,
      "Commands: MONITOR on the scenario's redis-server (what a script runs is listed apart, not counted); round trips: a loopback proxy between app and Redis",
      'counting the writes the app makes after Redis last answered (commands sent together are one). The same',
      'time idle is measured and subtracted (background heartbeats, status sampling); median of three tries.',
      '',
      table(rows),
    ].join('\n');
  } finally {
    await app.stop();
    await counter.close();
  }
}
