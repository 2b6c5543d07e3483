import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * One apps/api process. Spawned here rather than with `spawnNodeInstance` (packages/testing)
 * because the suite must count every warn+ log line, and that helper keeps only the last 64 KiB
 * of output (request logs at info overflow it within a second under load) and has no per-line hook.
 */
export interface AppInstance {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Log lines at warn or above (pino level >= 40, or any non-JSON stderr line). */
  warnLines(): string[];
  /** Resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  readonly alive: boolean;
}

/** CHAOS_API_MAIN points at another build (e.g. of a clean checkout) when the working tree's is mid-change. */
export const apiMain =
  process.env.CHAOS_API_MAIN ??
  fileURLToPath(new URL('../../../apps/api/dist/main.js', import.meta.url));

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

const LISTENING = /"msg":"api listening"/;

export async function startInstance(
  name: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<AppInstance> {
  if (!existsSync(apiMain))
    throw new Error(
      `build the api first: pnpm --filter @redis-toolkit/api... build (${apiMain} missing)`,
    );
  const child = spawn(process.execPath, [apiMain], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const warn: string[] = [];
  const tail: string[] = [];
  let port = 0;
  let onPort: ((p: number) => void) | undefined;
  const consume = (stream: 'out' | 'err') => {
    let pending = '';
    return (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
        let level = stream === 'err' ? 50 : 30;
        try {
          const parsed = JSON.parse(line) as { level?: number; port?: number };
          level = parsed.level ?? level;
          if (!port && LISTENING.test(line) && typeof parsed.port === 'number') {
            port = parsed.port;
            onPort?.(port);
          }
        } catch {
          // not pino JSON: keep the stream's default level
        }
        if (level >= 40) warn.push(line);
      }
    };
  };
  child.stdout?.on('data', consume('out'));
  child.stderr?.on('data', consume('err'));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${name} did not log "api listening" within ${timeoutMs} ms:\n${tail.join('\n')}`,
        ),
      );
    }, timeoutMs);
    onPort = () => {
      clearTimeout(timer);
      resolve();
    };
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening:\n${tail.join('\n')}`));
    });
  });

  return {
    name,
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    warnLines: () => [...warn],
    get alive() {
      return child.exitCode === null && child.signalCode === null;
    },
    async kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
