import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';

const mainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));

interface Ready {
  status: string;
  checks: { redis: { healthy: boolean; status: string; latencyMs: number } };
}

async function ready(app: RunningServer): Promise<Ready> {
  const res = await fetch(`http://127.0.0.1:${app.port}/ready`);
  expect(res.status).toBe(200);
  return (await res.json()) as Ready;
}

describe('api skeleton with Redis up', () => {
  let redis: RedisServer;
  let app: RunningServer;
  beforeAll(async () => {
    redis = await startRedis();
    app = await startServer({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      LOG_LEVEL: 'silent',
      SEED_PATIENTS: '200',
      SEED_APPOINTMENTS: '1000',
    });
    await waitUntil(() => app.redis.status === 'ready', { what: 'redis ready' });
  });
  afterAll(async () => {
    await app.shutdown();
    await redis.stop();
  });

  it('GET /health is 200 and carries a request id', async () => {
    const res = await fetch(`http://127.0.0.1:${app.port}/health`, {
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('abc-123');
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('GET /ready reports Redis health with latency', async () => {
    const body = await ready(app);
    expect(body.status).toBe('ok');
    expect(body.checks.redis.healthy).toBe(true);
    expect(body.checks.redis.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('an unknown route is a JSON 404', async () => {
    const res = await fetch(`http://127.0.0.1:${app.port}/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'E_API_NOT_FOUND' } });
  });

  it('malformed JSON is a 400, not a 500', async () => {
    const res = await fetch(`http://127.0.0.1:${app.port}/health`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"broken',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'E_API_BAD_REQUEST' } });
  });

  it('reports degraded while Redis is killed and ok once it returns', async () => {
    await redis.kill();
    await waitUntil(async () => (await ready(app)).status === 'degraded', { what: 'degraded' });
    const health = await fetch(`http://127.0.0.1:${app.port}/health`);
    expect(health.status).toBe(200);
    await redis.restart();
    await waitUntil(async () => (await ready(app)).status === 'ok', {
      what: 'ok again',
      timeoutMs: 10_000,
    });
  });

  it('/ready answers within its timeout while Redis is hung', async () => {
    redis.pause();
    try {
      const started = Date.now();
      const body = await ready(app);
      expect(body.status).toBe('degraded');
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      redis.resume();
    }
  });
});

describe('api skeleton started while Redis is down', () => {
  it('starts, serves degraded, and returns to ok when Redis comes up', async () => {
    const redis = await startRedis();
    await redis.kill();
    const app = await startServer({
      PORT: '0',
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      LOG_LEVEL: 'silent',
      SEED_PATIENTS: '200',
      SEED_APPOINTMENTS: '1000',
    });
    try {
      expect((await fetch(`http://127.0.0.1:${app.port}/health`)).status).toBe(200);
      expect((await ready(app)).status).toBe('degraded');
      await redis.restart();
      await waitUntil(async () => (await ready(app)).status === 'ok', {
        what: 'ok after start',
        timeoutMs: 10_000,
      });
    } finally {
      await app.shutdown();
      await redis.stop();
    }
  });
});

describe('process lifecycle (built dist/main.js)', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
  });

  function run(env: Record<string, string>) {
    const child = spawn(process.execPath, [mainJs], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: 'pipe',
    });
    children.push(child);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    child.stderr?.on('data', (c: Buffer) => {
      out += c.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    return { child, output: () => out, exited };
  }

  it('exits 0 within 10 s of SIGTERM, with Redis down and a keep-alive client connected', async () => {
    const port = await freePort();
    const proc = run({
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: 'redis://127.0.0.1:1',
      LOG_LEVEL: 'info',
      SEED: 'false',
    });
    // PGlite's start + migrations alone took 16 s on the loaded shared 2-core machine.
    await waitUntil(() => proc.output().includes('api listening'), {
      what: 'listening',
      timeoutMs: 45_000,
    });
    const res = await fetch(`http://127.0.0.1:${port}/health`, {
      headers: { connection: 'keep-alive' },
    });
    expect(res.status).toBe(200);
    const started = Date.now();
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(proc.output()).toContain('shutdown complete');
  }, 90_000);

  it('a bad environment value is one clear line and exit 1, no stack', async () => {
    const proc = run({ PORT: 'eighty' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/Invalid configuration: PORT="eighty" is invalid/);
    expect(proc.output()).not.toMatch(/\n\s+at /);
  });

  it('a bad Redis variable names the variable', async () => {
    const proc = run({ PORT: '0', REDIS_PORT: '99999' });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/Invalid configuration: .*REDIS_PORT/);
  });
});
