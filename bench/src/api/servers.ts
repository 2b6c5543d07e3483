import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FromChild, ToChild } from './server-process.js';

const script = fileURLToPath(new URL('./server-process.ts', import.meta.url));

export interface ServerProcess {
  readonly port: number;
  readonly pid: number;
  /** Starts a CPU profile of the server process (the inspector's sampling profiler). */
  profileStart(): void;
  /** Stops it and writes it to `file` (open in Chrome DevTools or speedscope). */
  profileStop(file: string): Promise<void>;
  /** Ends the process normally (a `--cpu-prof` profile is written then). */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Forks ./server-process.ts (under the same tsx loader as the bench) and starts a server in it.
 * `execArgv` is added to the child's node options, e.g. `--cpu-prof`.
 */
export async function startServerProcess(
  start: Exclude<ToChild, { type: 'stop' }>,
  { execArgv = [], timeoutMs = 120_000 }: { execArgv?: string[]; timeoutMs?: number } = {},
): Promise<ServerProcess> {
  const child = fork(script, [], {
    execArgv: [...process.execArgv, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  live.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      live.delete(child);
      resolve();
    }),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench server (${start.type}) did not listen within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (message: FromChild) => {
      clearTimeout(timer);
      if (message.type === 'listening') resolve(message.port);
      else if (message.type === 'failed')
        reject(new Error(`bench server (${start.type}): ${message.message}`));
    });
    exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`bench server (${start.type}) exited before listening`));
    });
    child.send(start);
  });
  return {
    port,
    pid: child.pid ?? 0,
    profileStart() {
      child.send({ type: 'profile', action: 'start' } satisfies ToChild);
    },
    profileStop(file) {
      return new Promise((resolve, reject) => {
        child.once('message', (message: FromChild) =>
          message.type === 'profiled'
            ? resolve()
            : reject(new Error(`profile: ${JSON.stringify(message)}`)),
        );
        child.send({ type: 'profile', action: 'stop', file } satisfies ToChild);
      });
    },
    async stop() {
      if (child.connected) child.send({ type: 'stop' } satisfies ToChild);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
