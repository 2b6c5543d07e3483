import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { redisPerRequest, signIn, stackVsBare } from '../api/stack.js';
import { type BenchContext, fmtRate, ratio, type Scenario, table } from '../context.js';

/**
 * The reference API (apps/api) is an app, not a package: it is loaded from its build
 * (`pnpm --filter @redis-toolkit/api build`), typed here by the little this scenario uses.
 */
interface ApiDatabase {
  close(): Promise<void>;
}
interface ApiServer {
  port: number;
  shutdown(reason?: string): Promise<void>;
}
interface ApiModule {
  openDatabase(options: { seed: { patients: number; appointments: number } }): Promise<ApiDatabase>;
  startServer(env: Record<string, string>, options: { database: ApiDatabase }): Promise<ApiServer>;
}

const apiDist = fileURLToPath(new URL('../../../apps/api/dist/index.js', import.meta.url));

interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function cannon(
  url: string,
  seconds: number,
  connections: number,
  headers: Record<string, string> = {},
): Promise<Run> {
  const result = await autocannon({ url, connections, duration: seconds, pipelining: 1, headers });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

export const scenario: Scenario = {
  id: 'api',
  title:
    'Reference API (apps/api): cached vs uncached dashboard, full middleware stack vs bare Express',
  async run(ctx: BenchContext): Promise<string> {
    if (!existsSync(apiDist))
      throw new Error(
        `build the api first: pnpm --filter @redis-toolkit/api build (${apiDist} missing)`,
      );
    // API_BENCH_PARTS=stack,redis (or dashboard) runs only those parts, e.g. while tuning one
    const parts = (process.env.API_BENCH_PARTS ?? 'dashboard,stack,redis').split(',');
    const sections: string[] = [];
    if (parts.includes('dashboard')) sections.push(await dashboard(ctx));
    if (parts.includes('stack')) sections.push(await stackVsBare(ctx, apiDist));
    if (parts.includes('redis')) sections.push(await redisPerRequest(ctx, apiDist));
    return sections.join('\n\n');
  },
};

/** Cached vs uncached dashboard: two instances in this process on one seeded PGlite. */
async function dashboard(ctx: BenchContext): Promise<string> {
  const api = (await import(pathToFileURL(apiDist).href)) as ApiModule;
  const seconds = ctx.quick ? 1 : 8;
  const connections = 10;
  const seed = { patients: 5_000, appointments: 40_000 };
  const started = Date.now();
  const database = await api.openDatabase({ seed });
  const seedMs = Date.now() - started;
  const base = {
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    REDIS_URL: ctx.redis.url,
  };
  const cachedApp = await api.startServer({ ...base, RATE_LIMIT_ENABLED: 'false' }, { database });
  const uncachedApp = await api.startServer(
    { ...base, RATE_LIMIT_ENABLED: 'false', CACHE_ENABLED: 'false' },
    { database },
  );
  // Every /dental route needs a staff session: one admin sign-in (the session lives in the
  // shared Redis, so its cookie works on both instances).
  const staff = await signIn(cachedApp.port);

  try {
    const url = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;
    // Warm up: fill the caches, JIT the paths.
    for (const u of [
      url(cachedApp.port, '/dental/dashboard/stats'),
      url(uncachedApp.port, '/dental/dashboard/stats'),
    ]) {
      await fetch(u, { headers: staff }).then((r) => r.arrayBuffer());
    }
    // Uncached last: its queued aggregate queries keep the (shared) event loop busy after the run.
    const cached = await cannon(
      url(cachedApp.port, '/dental/dashboard/stats'),
      seconds,
      connections,
      staff,
    );
    const uncached = await cannon(
      url(uncachedApp.port, '/dental/dashboard/stats'),
      seconds,
      connections,
      staff,
    );
    const row = (name: string, r: Run, baseline: Run) => [
      name,
      fmtRate(r.rps),
      ms(r.p50),
      ms(r.p99),
      ratio(r.rps, baseline.rps),
      String(r.errors + r.non2xx),
    ];
    return [
      `autocannon, ${connections} connections, ${seconds} s per row, both instances and the load generator in one Node process (they share the CPU), `,
      `PGlite (embedded PostgreSQL, WASM, runs on the app's event loop) seeded with ${seed.patients.toLocaleString('en')} patients / ${seed.appointments.toLocaleString('en')} appointments (${(seedMs / 1000).toFixed(1)} s), Redis on loopback.`,
      '',
      '### GET /dental/dashboard/stats',
      '',
      table([
        ['app', 'req/s', 'p50', 'p99', 'vs uncached', 'errors + non-2xx'],
        row('CACHE_ENABLED=false (4 aggregate queries per request)', uncached, uncached),
        row('cached (Redis, 5 min TTL)', cached, uncached),
      ]),
      '',
      `Cached / uncached: **${ratio(cached.rps, uncached.rps)} the throughput**, p99 ${ms(uncached.p99)} → ${ms(cached.p99)}.`,
    ].join('\n');
  } finally {
    await Promise.all([cachedApp.shutdown(), uncachedApp.shutdown()]);
    await database.close();
  }
}
