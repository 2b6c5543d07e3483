import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
  /** No close(), no last replay: what a crash or an OOM kill does. */
  async kill9(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGKILL');
    await exited;
  }
  async exit(): Promise<void> {
    if (this.child.signalCode !== null) return;
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
  const outboxDir = mkdtempSync(join(tmpdir(), 'blacklist-outbox-'));
  const start = (env: Record<string, string> = {}) => {
    const instance = new Instance({
      REDIS_URL: server.url,
      PREFIX: prefix,
      OUTBOX_DIR: outboxDir,
      ...env,
    });
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.exit()));
    await server?.stop();
    rmSync(outboxDir, { recursive: true, force: true });
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

    // During the outage: A appends its revocation to the shared outbox before answering.
    const during = await signToken();
    expect(await a.revoke(during)).toMatchObject({ revoked: true, persisted: false, queued: true });
    expect(await a.check(during)).toMatchObject({ revoked: true, source: 'local' });
    // B shares the outbox: under 'memory' it reads it (at most once a second) and rejects the
    // token before Redis returns.
    await waitUntil(async () => (await b.check(during)).revoked, {
      timeoutMs: 5000,
      what: 'B to read the outbox during the outage',
    });
    expect((await b.stats()).fallback).toBeGreaterThanOrEqual(1);
    expect(await b.check(await signToken())).toMatchObject({ revoked: false, source: 'fallback' });
    expect(await b.check(before)).toMatchObject({ revoked: true, source: 'local' });

    // Redis comes back EMPTY (no persistence): A replays, A and B write back what they know,
    // B's mirror resyncs.
    await server.restart();
    await waitUntil(async () => (await b.check(during)).revoked, {
      timeoutMs: 20_000,
      what: 'B to reject the token revoked on A during the outage',
    });
    await waitUntil(async () => (await b.stats()).inSync, { timeoutMs: 20_000, what: 'B in sync' });
    await waitUntil(() => readdirSync(outboxDir).filter((f) => f.endsWith('.json')).length === 0, {
      timeoutMs: 20_000,
      what: 'the outbox to be drained',
    });
    expect((await a.stats()).replayed + (await b.stats()).replayed).toBeGreaterThanOrEqual(1);
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

describe('an instance that dies with revocations in the outbox', () => {
  let server: RedisServer;
  const instances: Instance[] = [];
  const prefix = `d${randomUUID().slice(0, 8)}:`;
  const outboxDir = mkdtempSync(join(tmpdir(), 'blacklist-outbox-'));
  const start = () => {
    const instance = new Instance({ REDIS_URL: server.url, PREFIX: prefix, OUTBOX_DIR: outboxDir });
    instances.push(instance);
    return instance;
  };

  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.exit()));
    await server?.stop();
    rmSync(outboxDir, { recursive: true, force: true });
  });

  it('A revokes during an outage and is SIGKILLed; Redis restarts empty; B rejects the token within seconds', async () => {
    const a = start();
    const b = start();
    await waitUntil(async () => (await a.stats()).inSync && (await b.stats()).inSync, {
      timeoutMs: 20_000,
      what: 'both mirrors in sync',
    });
    await server.kill();
    await waitUntil(async () => (await a.stats()).redis === 'down', {
      timeoutMs: 10_000,
      what: 'A to see the outage',
    });
    const token = await signToken();
    // A answers success only once the revocation is in the outbox (fsynced)
    expect(await a.revoke(token)).toMatchObject({ revoked: true, persisted: false, queued: true });
    await a.kill9();
    expect(readdirSync(outboxDir).filter((f) => f.endsWith('.json'))).toHaveLength(1);

    await server.restart();
    const restartedAt = performance.now();
    await waitUntil(
      async () => {
        const r = await b.check(token);
        return r.revoked && r.source !== 'fallback';
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "B to reject A's token from Redis" },
    );
    const tookMs = performance.now() - restartedAt;
    expect(tookMs).toBeLessThan(10_000);
    // replayed by B into the restarted (empty) Redis: a process started now sees it too
    const c = start();
    await waitUntil(async () => (await c.check(token)).revoked, {
      timeoutMs: 10_000,
      what: 'C to see the replayed revocation',
    });
    expect((await b.stats()).replayed).toBeGreaterThanOrEqual(1);
    expect(readdirSync(outboxDir).filter((f) => f.endsWith('.json'))).toHaveLength(0);
  });
});
