import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { RedisServer, startRedis } from '@redis-toolkit/testing';
import { Bench } from 'tinybench';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  date: string;
}

export interface BenchContext {
  /** A redis-server started for this scenario alone (loopback, nothing persisted). */
  readonly redis: RedisServer;
  /** `BENCH_QUICK=1`: shorter runs for smoke checks; figures from quick runs are not recorded. */
  readonly quick: boolean;
  /** Milliseconds each task is measured for. */
  readonly timeMs: number;
  /** Start an extra server (e.g. a Cluster scenario's peers); stopped when the scenario ends. */
  startRedis: typeof startRedis;
}

export interface Scenario {
  /** File-name id, e.g. `connection`. */
  readonly id: string;
  readonly title: string;
  run(ctx: BenchContext): Promise<string>;
}

export function machineInfo(): MachineInfo {
  const cpuModel = (() => {
    try {
      const line = readFileSync('/proc/cpuinfo', 'utf8')
        .split('\n')
        .find((l) => l.startsWith('model name'));
      return line?.split(':')[1]?.trim() ?? cpus()[0]?.model ?? 'unknown';
    } catch {
      return cpus()[0]?.model ?? 'unknown';
    }
  })();
  const redis =
    execFileSync('redis-server', ['--version'])
      .toString()
      .match(/v=([\d.]+)/)?.[1] ?? '?';
  return {
    cpu: cpuModel,
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    redis,
    date: new Date().toISOString().slice(0, 10),
  };
}

export interface Measured {
  name: string;
  opsPerSec: number;
  p50Us: number;
  p99Us: number;
  samples: number;
}

/**
 * Measures sequential async operations with tinybench. For concurrency scenarios pass a task
 * that itself runs N operations in parallel and divide by N with `opsPerCall`.
 */
export async function measure(
  ctx: BenchContext,
  tasks: Record<string, () => Promise<unknown> | unknown>,
  { opsPerCall = 1 }: { opsPerCall?: number } = {},
): Promise<Measured[]> {
  const bench = new Bench({ time: ctx.timeMs, warmupTime: Math.min(500, ctx.timeMs / 4) });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  return bench.tasks.map((task) => {
    const result = task.result;
    const latency = result && 'latency' in result ? result.latency : undefined;
    const throughput = result && 'throughput' in result ? result.throughput : undefined;
    return {
      name: task.name,
      opsPerSec: (throughput?.mean ?? 0) * opsPerCall,
      p50Us: (latency?.p50 ?? 0) * 1000,
      p99Us: (latency?.p99 ?? 0) * 1000,
      samples: latency?.samples?.length ?? latency?.samplesCount ?? 0,
    };
  });
}

export function fmtRate(opsPerSec: number): string {
  if (opsPerSec >= 1e6) return `${(opsPerSec / 1e6).toFixed(2)} M/s`;
  if (opsPerSec >= 1e3) return `${(opsPerSec / 1e3).toFixed(1)} k/s`;
  return `${opsPerSec.toFixed(0)} /s`;
}

export function ratio(value: number, baseline: number): string {
  return baseline > 0 ? `${(value / baseline).toFixed(2)}×` : 'n/a';
}

/** A markdown table; the first row is the header. */
export function table(rows: (string | number)[][]): string {
  const [head, ...body] = rows;
  if (!head) return '';
  const line = (r: (string | number)[]) => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...body.map(line)].join('\n');
}

/** Runs `count` async calls with at most `concurrency` in flight; returns ops per second. */
export async function throughput(
  count: number,
  concurrency: number,
  op: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await op(i);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}
