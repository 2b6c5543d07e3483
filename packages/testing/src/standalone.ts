import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisTestServerError } from './errors.js';
import {
  assertRedisServerOnPath,
  freePort,
  killAndWait,
  spawnServer,
  waitForOutput,
} from './process.js';
import { generateTlsFiles, type TlsFiles } from './tls.js';

export interface StartRedisOptions {
  /** `requirepass` for the default user. */
  password?: string;
  /** An ACL user with full access; the default user is then disabled. */
  aclUser?: { username: string; password: string };
  /** Serve TLS only, with a CA and certificate generated for this server. */
  tls?: boolean;
  /** Extra redis-server arguments, e.g. `['--maxmemory', '10mb']`. */
  args?: string[];
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://` or `rediss://` URL including credentials. */
  readonly url: string;
  /** ACL username when `aclUser` was given. */
  readonly username: string | undefined;
  /** The password of `aclUser` or `password`. */
  readonly password: string | undefined;
  readonly tls: TlsFiles | undefined;
  readonly dir: string;
  readonly pid: number | undefined;
  /** Stops the server (nothing is persisted, so no graceful shutdown is needed) and removes its temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL: the server vanishes without closing connections cleanly. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after kill or stop). Data is not kept. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after pause. */
  resume(): void;
  /** Runs a command on a short-lived redis-cli. */
  cli(...args: string[]): Promise<string>;
}

const READY = /Ready to accept connections/;

export function redisServerArgs(
  port: number,
  dir: string,
  options: StartRedisOptions,
  tls?: TlsFiles,
): string[] {
  const args = [
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    '--loglevel',
    'notice',
  ];
  if (tls) {
    args.push(
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      tls.certFile,
      '--tls-key-file',
      tls.keyFile,
      '--tls-ca-cert-file',
      tls.caFile,
      '--tls-auth-clients',
      'no',
    );
  } else {
    args.push('--port', String(port));
  }
  if (options.password) args.push('--requirepass', options.password);
  if (options.aclUser) {
    const { username, password } = options.aclUser;
    // redis-server joins the words after `--user` into one config line; each must be its own argument.
    args.push(
      '--user',
      username,
      'on',
      `>${password}`,
      '~*',
      '&*',
      '+@all',
      '--user',
      'default',
      'off',
    );
  }
  args.push(...(options.args ?? []));
  return args;
}

export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  assertRedisServerOnPath();
  const dir = mkdtempSync(join(tmpdir(), 'redis-toolkit-'));
  const tls = options.tls ? generateTlsFiles(dir) : undefined;

  let child: ChildProcess | undefined;
  let port = 0;
  let lastError: unknown;
  for (let attempt = 0; attempt < 8 && !child; attempt++) {
    port = await freePort();
    const candidate = spawnServer('redis-server', redisServerArgs(port, dir, options, tls), dir);
    try {
      await waitForOutput(candidate, READY);
      child = candidate;
    } catch (error) {
      lastError = error;
      await killAndWait(candidate, 'SIGKILL');
    }
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError instanceof Error
      ? lastError
      : new RedisTestServerError('could not start redis-server');
  }
  let current: ChildProcess = child;
  let stopped = false;

  const auth = options.aclUser
    ? `${encodeURIComponent(options.aclUser.username)}:${encodeURIComponent(options.aclUser.password)}@`
    : options.password
      ? `:${encodeURIComponent(options.password)}@`
      : '';
  const scheme = tls ? 'rediss' : 'redis';

  const cliArgs = (): string[] => {
    const args = ['-h', '127.0.0.1', '-p', String(port)];
    if (tls) args.push('--tls', '--cacert', tls.caFile);
    if (options.aclUser)
      args.push('--user', options.aclUser.username, '--pass', options.aclUser.password);
    else if (options.password) args.push('-a', options.password);
    args.push('--no-auth-warning');
    return args;
  };

  const server: RedisServer = {
    host: '127.0.0.1',
    port,
    url: `${scheme}://${auth}127.0.0.1:${port}`,
    username: options.aclUser?.username,
    password: options.aclUser?.password ?? options.password,
    tls,
    dir,
    get pid() {
      return current.pid;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (current.signalCode === 'SIGSTOP') current.kill('SIGCONT');
      await killAndWait(current, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await killAndWait(current, 'SIGKILL');
    },
    async restart() {
      await killAndWait(current, 'SIGKILL');
      const next = spawnServer('redis-server', redisServerArgs(port, dir, options, tls), dir);
      await waitForOutput(next, READY);
      current = next;
    },
    pause() {
      current.kill('SIGSTOP');
    },
    resume() {
      current.kill('SIGCONT');
    },
    cli(...args: string[]) {
      return runCli([...cliArgs(), ...args]);
    },
  };
  return server;
}

export async function runCli(args: string[]): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error)
        reject(
          new RedisTestServerError(
            `redis-cli ${args.join(' ')} failed: ${stderr || error.message}`,
          ),
        );
      else resolve(stdout.trim());
    });
  });
}
