import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { MISSING_REDIS_SERVER, RedisTestServerError, WaitTimeoutError } from './errors.js';

let checkedBinary = false;

/** Fails with one line when redis-server is missing, instead of a spawn ENOENT stack. */
export function assertRedisServerOnPath(): void {
  if (checkedBinary) return;
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    checkedBinary = true;
  } catch {
    throw new RedisTestServerError(MISSING_REDIS_SERVER);
  }
}

/** Asks the kernel for a free loopback port. Callers retry on EADDRINUSE: another file may take it first. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Test infrastructure only: library packages never install process hooks.
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

/**
 * Spawns a server process plus a detached watchdog that SIGKILLs it once this test process
 * disappears, so even a SIGKILLed test runner leaves no redis-server behind.
 */
export function spawnServer(
  binary: string,
  args: string[],
  cwd: string,
  env?: NodeJS.ProcessEnv,
): ChildProcess {
  installExitHook();
  const child = spawn(binary, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (child.pid) {
    const watchdog = spawn(
      'sh',
      [
        '-c',
        `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${child.pid} 2>/dev/null; do sleep 0.5; done; kill -9 ${child.pid} 2>/dev/null; exit 0`,
      ],
      { detached: true, stdio: 'ignore' },
    );
    watchdog.unref();
  }
  return child;
}

/** Resolves when `marker` appears in the process output; rejects with the output if it exits first. */
export function waitForOutput(
  child: ChildProcess,
  marker: RegExp,
  timeoutMs = 10_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new RedisTestServerError(`server did not become ready in ${timeoutMs} ms:\n${output}`),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (marker.test(output)) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(
        new RedisTestServerError(`server exited (code ${code}) before it was ready:\n${output}`),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      // keep draining so a chatty server never blocks on a full pipe
      child.stdout?.resume();
      child.stderr?.resume();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Sends a signal and resolves when the process has exited. */
export function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Polls `check` until it returns true; never a fixed sleep. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  { timeoutMs = 15_000, intervalMs = 50, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let attempts = 0;
  let lastError: unknown;
  let lastValue: unknown;
  for (;;) {
    attempts += 1;
    try {
      // A check that never settles (a command queued on an offline client) must not outlive the deadline.
      const value = await withinDeadline(check, deadline);
      // Truthy, as before: callers written in JS may return a non-boolean.
      if (value !== PENDING && value) return;
      lastValue = value;
      lastError = undefined;
    } catch (error) {
      lastError = error;
      lastValue = undefined;
    }
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError(
        `timed out after ${timeoutMs} ms waiting for ${what} (${attempts} attempts; ${describeLast(lastError, lastValue)})`,
        lastError,
        lastValue,
        attempts,
      );
    }
    await new Promise((r) =>
      setTimeout(r, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}

const PENDING = Symbol('pending');

async function withinDeadline(
  check: () => Promise<boolean> | boolean,
  deadline: number,
): Promise<boolean | typeof PENDING> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof PENDING>((resolve) => {
    timer = setTimeout(() => resolve(PENDING), Math.max(0, deadline - Date.now()));
  });
  try {
    return await Promise.race([Promise.resolve().then(check), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function describeLast(lastError: unknown, lastValue: unknown): string {
  if (lastError !== undefined) {
    const text =
      lastError instanceof Error ? `${lastError.name}: ${lastError.message}` : String(lastError);
    return `last error: ${text}`;
  }
  if (lastValue === PENDING) return 'last check was still pending at the deadline';
  return `last value: ${JSON.stringify(lastValue) ?? String(lastValue)}`;
}
