import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  describeEachTopology,
  type RedisServer,
  startCluster,
  startRedis,
  startSentinel,
  waitUntil,
} from '../src/index.js';

function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function answer(server: RedisServer, options: RedisOptions = {}) {
  const client = new Redis({
    host: server.host,
    port: server.port,
    username: server.username,
    password: server.password,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    ...options,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return await client.ping();
  } finally {
    client.disconnect();
  }
}

describe('startRedis', () => {
  it('starts on a free loopback port, answers, and leaves no process or directory behind', async () => {
    const server = await startRedis();
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).not.toBe(6379);
    expect(await answer(server)).toBe('PONG');
    expect((await server.cli('config', 'get', 'save')).split('\n')[1] ?? '').toBe('');
    const { pid, dir } = server;
    await server.stop();
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    await server.stop(); // idempotent
  });

  it('kill, restart on the same port, pause and resume', async () => {
    const server = await startRedis();
    cleanups.push(() => server.stop());
    const client = new Redis(server.port, '127.0.0.1', {
      maxRetriesPerRequest: 1,
      retryStrategy: () => 50,
    });
    client.on('error', () => {});
    cleanups.push(async () => client.disconnect());
    await client.set('k', 'v');
    const oldPid = server.pid;
    await server.kill();
    expect(isAlive(oldPid)).toBe(false);
    await server.restart();
    expect(server.pid).not.toBe(oldPid);
    await waitUntil(() => client.status === 'ready', { what: 'client reconnect' });
    expect(await client.get('k')).toBeNull(); // nothing persisted
    server.pause();
    const hung = await Promise.race([
      client.ping().then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('hung'), 300)),
    ]);
    expect(hung).toBe('hung');
    server.resume();
    expect(await client.ping()).toBe('PONG');
  });

  it('requires the password when one is set', async () => {
    const server = await startRedis({ password: 's3cret pass' });
    cleanups.push(() => server.stop());
    expect(server.url).toContain(encodeURIComponent('s3cret pass'));
    expect(await answer(server)).toBe('PONG');
    await expect(answer(server, { password: 'wrong' })).rejects.toThrow();
  });

  it('ACL user replaces the default user', async () => {
    const server = await startRedis({ aclUser: { username: 'app', password: 'app-pass' } });
    cleanups.push(() => server.stop());
    expect(await answer(server)).toBe('PONG');
    expect(await server.cli('acl', 'whoami')).toBe('app');
    const anonymous = new Redis(server.port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    anonymous.on('error', () => {});
    await anonymous.connect().catch(() => {});
    await expect(anonymous.set('x', '1')).rejects.toThrow(/NOAUTH|NOPERM/);
    anonymous.disconnect();
  });

  it('serves TLS with a generated CA', async () => {
    const server = await startRedis({ tls: true });
    cleanups.push(() => server.stop());
    expect(server.url.startsWith('rediss://')).toBe(true);
    expect(await answer(server, { tls: { ca: server.tls!.ca } })).toBe('PONG');
  });
});

describe('startCluster', () => {
  it('creates a 3-master cluster that routes keys across slots and tears down', async () => {
    const cluster = await startCluster({ masters: 3 });
    const pids = cluster.nodes.map((n) => n.pid);
    try {
      expect(cluster.nodes).toHaveLength(3);
      expect(await cluster.masters()).toHaveLength(3);
      const info = await cluster.nodes[0]!.cli('cluster', 'info');
      expect(info).toContain('cluster_slots_assigned:16384');
    } finally {
      await cluster.stop();
    }
    expect(pids.every((p) => !isAlive(p))).toBe(true);
  });

  it('with one replica per master', async () => {
    const cluster = await startCluster({ masters: 3, replicasPerMaster: 1 });
    try {
      expect(cluster.nodes).toHaveLength(6);
      expect(await cluster.masters()).toHaveLength(3);
    } finally {
      await cluster.stop();
    }
  });
});

describe('startSentinel', () => {
  it('fails over to the replica', async () => {
    const sentinel = await startSentinel();
    const pids = sentinel.servers.map((s) => s.pid);
    try {
      const before = await sentinel.masterAddress();
      const after = await sentinel.failover();
      expect(after.port).not.toBe(before.port);
      expect((await (await sentinel.master()).cli('role')).startsWith('master')).toBe(true);
    } finally {
      await sentinel.stop();
    }
    expect(pids.every((p) => !isAlive(p))).toBe(true);
  });
});

describeEachTopology('describeEachTopology', (ctx) => {
  it('gives a client that writes and reads keys in many slots', async () => {
    const client = ctx.client();
    for (let i = 0; i < 20; i++) await client.set(`key:${i}`, String(i));
    for (let i = 0; i < 20; i++) expect(await client.get(`key:${i}`)).toBe(String(i));
    expect(Object.keys(ctx.env()).length).toBeGreaterThan(0);
  });
});

describe('missing redis-server', () => {
  it('fails with one actionable line', () => {
    const script = `import('${new URL('../src/process.ts', import.meta.url).pathname}').then(m => m.assertRedisServerOnPath())`;
    let message = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
        env: { ...process.env, PATH: '/nonexistent' },
        stdio: 'pipe',
      });
    } catch (error) {
      message = String((error as { stderr?: Buffer }).stderr ?? '');
    }
    expect(message).toMatch(/redis-server is not on PATH: install it/);
  });
});
