import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult, RevokeResult, TokenBlacklistStats } from '../src/index.js';
import { signToken } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');

/** A child process running test/fixtures/instance.ts (through tsx), spoken to over stdin/stdout. */
class Instance {
  private readonly child: ChildProcess;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    (reply: { result?: unknown; error?: string }) => void
  >();
  readonly started: Promise<void>;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(here, 'fixtures/instance.ts')], {
      cwd: packageDir,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let markStarted: () => void = () => {};
    this.started = new Promise((resolve) => {
      markStarted = resolve;
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const reply = JSON.parse(line) as { id: number; result?: unknown; error?: string };
      if (reply.id === 0) return markStarted();
      this.waiting.get(reply.id)?.(reply);
      this.waiting.delete(reply.id);
    });
  }

  private async send<T>(cmd: string, token?: string): Promise<T> {
    await this.started;
    const id = this.nextId++;
    const reply = await new Promise<{ result?: unknown; error?: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${cmd} got no answer`)), 10_000);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, token })}\n`);
    });
    if (reply.error) throw new Error(reply.error);
    return reply.result as T;
  }

  revoke(token: string) {
    return this.send<RevokeResult>('revoke', token);
  }
  check(token: string) {
    return this.send<CheckResult>('check', token);
  }
  stats() {
    return this.send<TokenBlacklistStats>('stats');
  }
  async exit(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await this.send('exit').catch(() => this.child.kill('SIGKILL'));
    await exited;
  }
}

describe('two processes sharing Redis through an outage', () => {
  let server: RedisServer;
  const instances: Instance[] = [];
  const prefix = `p${randomUUID().slice(0, 8)}:`;
  const start = () => {
    const instance = new Instance({ REDIS_URL: server.url, PREFIX: prefix });
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.exit()));
    await server?.stop();
  });

  it('a revocation made on A while Redis is down reaches B when Redis is back (even empty)', async () => {
    const a = start();
    const b = start();
    await waitUntil(async () => (await a.stats()).inSync && (await b.stats()).inSync, {
      timeoutMs: 20_000,
      what: 'both mirrors in sync',
    });

    // Before the outage: revoked on A, seen by B from its mirror over pub/sub.
    const before = await signToken();
    expect(await a.revoke(before)).toMatchObject({ revoked: true, persisted: true });
    await waitUntil(async () => (await b.check(before)).revoked, {
      timeoutMs: 5000,
      what: 'B learns',
    });

    await server.kill();
    await waitUntil(async () => !(await b.stats()).inSync && !(await a.stats()).inSync, {
      timeoutMs: 10_000,
      what: 'mirrors to notice the outage',
    });

    // During the outage: A honours its revocation at once and queues it.
    const during = await signToken();
    expect(await a.revoke(during)).toMatchObject({ revoked: true, persisted: false, queued: true });
    expect(await a.check(during)).toMatchObject({ revoked: true, source: 'local' });
    // B cannot know yet (onRedisError 'local'): it answers from what it knows.
    expect(await b.check(during)).toMatchObject({ revoked: false, source: 'fallback' });
    expect(await b.check(before)).toMatchObject({ revoked: true, source: 'local' });

    // Redis comes back EMPTY (no persistence): A replays, A and B write back what they know,
    // B's mirror resyncs.
    await server.restart();
    await waitUntil(async () => (await b.check(during)).revoked, {
      timeoutMs: 20_000,
      what: 'B to reject the token revoked on A during the outage',
    });
    await waitUntil(async () => (await b.stats()).inSync, { timeoutMs: 20_000, what: 'B in sync' });
    expect((await a.stats()).replayed).toBeGreaterThanOrEqual(1);
    expect(await b.check(before)).toMatchObject({ revoked: true });

    // A process started after the restart learns both from Redis (replay + write-back).
    const c = start();
    await waitUntil(async () => (await c.stats()).inSync, { timeoutMs: 20_000, what: 'C in sync' });
    expect(await c.check(during)).toMatchObject({ revoked: true });
    await waitUntil(async () => (await c.check(before)).revoked, {
      timeoutMs: 10_000,
      what: 'the pre-outage revocation to be written back after the empty restart',
    });
    expect(await c.check(await signToken())).toMatchObject({ revoked: false, source: 'mirror' });
  });
});
