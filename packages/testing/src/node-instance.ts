import { TestKitError } from './errors.js';
import { spawnServer } from './process.js';

export interface SpawnNodeOptions {
  /** Arguments for node before the script, e.g. `['--import', 'tsx']` for a .ts entry. */
  nodeArgs?: string[];
  /** Arguments after the script. */
  args?: string[];
  cwd?: string;
  /** Matched against each stdout line; its first capture group is the URL. */
  ready?: RegExp;
  /** How long to wait for the ready line. */
  timeoutMs?: number;
  /** Inherit this process's environment under `env` (default true: PATH, HOME…). */
  inheritEnv?: boolean;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeInstance {
  url: string;
  pid: number;
  /** Sends `signal` (default SIGTERM) and resolves with the exit once the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<ProcessExit>;
  /** Settles when the process exits, for whatever reason. */
  exited: Promise<ProcessExit>;
  /** stdout and stderr so far (the last 64 KiB), for failure messages. */
  output(): string;
  /** The same as `kill()`; lets a NodeInstance go straight into `startInstances`. */
  close(): Promise<void>;
}

const DEFAULT_READY = /\blistening\s+(\S+)/;
const OUTPUT_LIMIT = 64 * 1024;

/**
 * Runs `node scriptPath` as a real child process (for "an instance dies" tests) and resolves
 * once it prints its URL on stdout (`listening http://127.0.0.1:1234` by default). The child is
 * SIGKILLed if this test process exits, like the redis-server helpers.
 */
export async function spawnNodeInstance(
  scriptPath: string,
  env: Record<string, string> = {},
  options: SpawnNodeOptions = {},
): Promise<NodeInstance> {
  const ready = options.ready ?? DEFAULT_READY;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const child = spawnServer(
    process.execPath,
    [...(options.nodeArgs ?? []), scriptPath, ...(options.args ?? [])],
    options.cwd ?? process.cwd(),
    options.inheritEnv === false ? env : { ...process.env, ...env },
  );
  let output = '';
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      cleanup();
      child.kill('SIGKILL');
      reject(
        new TestKitError(
          'E_INSTANCE_NOT_READY',
          `${scriptPath} printed no line matching ${ready} within ${timeoutMs} ms:\n${output}`,
        ),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = ready.exec(line);
        if (match) {
          cleanup();
          resolve(match[1] ?? match[0]);
          return;
        }
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(
        new TestKitError(
          'E_INSTANCE_NOT_READY',
          `${scriptPath} exited (code ${code}, signal ${signal}) before it was ready:\n${output}`,
        ),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });

  const kill = async (signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessExit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return exited;
  };
  return {
    url,
    pid: child.pid ?? 0,
    kill,
    exited,
    output: () => output,
    close: async () => {
      await kill();
    },
  };
}
