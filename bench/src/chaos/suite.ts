import {
  type RedisServer,
  type SentinelHandle,
  startRedis,
  startSentinel,
} from '@redis-toolkit/testing';
import type { ChaosDatabase } from './database.js';
import type { Fault, FaultWindow } from './faults.js';
import { Recorder } from './http.js';
import { type AppInstance, startInstance } from './instance.js';
import { Ledger, startLoad, type Target } from './load.js';
import { type Verdict, verify } from './verify.js';

export interface SuiteOptions {
  /** Load time per fault, from the fault's start. */
  durationMs: number;
  /** Load before the fault starts. */
  warmupMs: number;
  concurrency: number;
  database: ChaosDatabase;
  /** Printed progress. */
  log(line: string): void;
}

export interface FaultResult {
  fault: Fault;
  rec: Recorder;
  window: FaultWindow;
  verdict: Verdict;
  /** From the fault's end to the first /ready 200 with checks.redis.healthy, slowest instance. */
  timeToReadyMs: number | undefined;
  warn: Record<string, string[]>;
  notes: string[];
  /** Instance death: logouts A acknowledged during the outage, and how many B or A' still honour. */
  outageRevocations?: { acknowledged: number; lost: number };
}

/** Everything an instance needs apart from Redis. High limits keep the limiters in the path without refusing the load. */
function baseEnv(database: ChaosDatabase): Record<string, string> {
  return {
    NODE_ENV: process.env.CHAOS_NODE_ENV ?? 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'info',
    TRUST_PROXY: '1',
    JWT_SECRET: 'chaos-suite-jwt-secret-0123456789abcdef',
    SESSION_SECRET: 'chaos-suite-session-secret-0123456789abcdef',
    // required in production: the dental and care caches are sealed in Redis (one key, both instances)
    CACHE_ENCRYPTION_KEYS: `chaos:${Buffer.alloc(32, 3).toString('base64')}`,
    SEED_PATIENTS: '500',
    SEED_APPOINTMENTS: '3000',
    GLOBAL_RATE_LIMIT: '100000000',
    API_RATE_LIMIT: '100000000',
    AUTH_RATE_LIMIT: '100000000',
    ...database.env,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function redisReady(t: Target): Promise<boolean> {
  try {
    const res = await fetch(`${t.url}/ready`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as { checks?: { redis?: { healthy?: boolean } } };
    return res.status === 200 && body.checks?.redis?.healthy === true;
  } catch {
    return false;
  }
}

/** ms from now until every target answers /ready with Redis healthy; undefined past the deadline. */
async function untilReady(targets: Target[], deadlineMs: number): Promise<number | undefined> {
  const started = performance.now();
  const each = await Promise.all(
    targets.map(async (t) => {
      while (performance.now() - started < deadlineMs) {
        if (await redisReady(t)) return performance.now() - started;
        await sleep(50);
      }
      return undefined;
    }),
  );
  return each.some((v) => v === undefined) ? undefined : Math.max(...(each as number[]));
}

export async function runFault(fault: Fault, options: SuiteOptions): Promise<FaultResult> {
  const { log } = options;
  let redis: RedisServer | undefined;
  let sentinel: SentinelHandle | undefined;
  const instances: AppInstance[] = [];
  const notes: string[] = [];
  try {
    let redisEnv: Record<string, string>;
    if (fault.topology === 'sentinel') {
      sentinel = await startSentinel();
      redisEnv = {
        REDIS_SENTINELS: sentinel.sentinelsEnv,
        REDIS_SENTINEL_MASTER: sentinel.masterName,
      };
    } else {
      // AOF with fsync always: a SIGKILL loses nothing Redis acknowledged, so any loss is the app's.
      redis = await startRedis({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
      redisEnv = { REDIS_URL: redis.url };
    }
    const env = { ...baseEnv(options.database), ...redisEnv };
    // One after the other: the first seeds the shared schema, the second finds it seeded.
    const a = await startInstance('A', env);
    instances.push(a);
    const b = await startInstance('B', env);
    instances.push(b);
    if ((await untilReady([a, b], 30_000)) === undefined)
      notes.push('instances never reported Redis healthy before the fault');

    const rec = new Recorder();
    const ledger = new Ledger();
    let targets: Target[] = [a, b];
    const load = startLoad(rec, ledger, {
      concurrency: options.concurrency,
      targets: () => targets,
    });
    await sleep(options.warmupMs);
    log(`  ${fault.id}: fault at ${(rec.now() / 1000).toFixed(1)} s`);
    const window = await fault.inject({
      rec,
      ledger,
      redis,
      sentinel,
      a,
      b,
      setTargets: (next) => {
        targets = next;
      },
      durationMs: options.durationMs,
      notes,
    });
    log(`  ${fault.id}: fault over at ${(rec.now() / 1000).toFixed(1)} s`);
    const ready = untilReady(targets, 30_000);
    const loadEnd = Math.max(window.start + options.durationMs, window.end + 2_000);
    await sleep(loadEnd - rec.now());
    await load.stop();
    const timeToReadyMs = await ready;
    if (timeToReadyMs === undefined)
      notes.push('no /ready with Redis healthy within 30 s of the fault end');

    let verifyOn: Target[] = targets;
    if (window.replacedA) {
      const fresh = await startInstance("A'", env);
      instances.push(fresh);
      await untilReady([fresh], 30_000);
      verifyOn = [b, fresh];
    }
    // The probe may report up a moment before every replay has run.
    await sleep(1_000);
    const verdict = await verify(rec, ledger, verifyOn);
    const warn: Record<string, string[]> = {};
    for (const i of instances) warn[i.name] = i.warnLines();
    const revoked = window.outageRevocations;
    const outageRevocations = revoked && {
      acknowledged: revoked.length,
      lost: revoked.filter((r) => verdict.lostLogouts.has(r)).length,
    };
    if (outageRevocations)
      notes.push(
        `logouts A acknowledged during the outage: ${outageRevocations.acknowledged}, still honoured on ${verifyOn.map((t) => t.name).join(' or ')} after recovery: ${outageRevocations.lost}${outageRevocations.lost ? ' ✗' : ''}`,
      );
    return {
      fault,
      rec,
      window,
      verdict,
      timeToReadyMs,
      warn,
      notes,
      ...(outageRevocations ? { outageRevocations } : {}),
    };
  } finally {
    await Promise.all(instances.map((i) => i.kill('SIGKILL')));
    await sentinel?.stop();
    await redis?.stop();
  }
}
