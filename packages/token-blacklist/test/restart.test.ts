import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileOutbox } from '@redis-toolkit/connection';
import {
  captureLogger,
  listen,
  type RedisServer,
  startRedis,
  waitUntil,
} from '@redis-toolkit/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BlacklistUnavailableError,
  createTokenBlacklist,
  type TokenBlacklist,
  type TokenBlacklistOptions,
} from '../src/index.js';
import { signToken } from './helpers.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'blacklist-restart-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Redis killed and restarted empty (standalone)', () => {
  const password = `pw-${randomUUID()}`;
  let server: RedisServer;
  const clients: Redis[] = [];
  const open: TokenBlacklist[] = [];
  const client = () => {
    const redis = new Redis(server.url, { retryStrategy: () => 100, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    clients.push(redis);
    return redis;
  };
  const make = (options: Partial<TokenBlacklistOptions> = {}) => {
    const b = createTokenBlacklist({ redis: client(), commandTimeout: '300ms', ...options });
    open.push(b);
    return b;
  };

  beforeEach(async () => {
    server = await startRedis({ password });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((b) => b.close()));
    for (const c of clients.splice(0)) c.disconnect();
    await server.stop();
  });

  it('the epoch check writes back what this instance knows; without an outbox a revoke during the outage is refused', async () => {
    const prefix = `e${randomUUID().slice(0, 6)}:`;
    const a = make({ prefix });
    const before = await signToken();
    expect(await a.revoke(before)).toMatchObject({ persisted: true });
    await a.revokeAllForUser('zoe');
    await server.kill();
    await waitUntil(() => a.stats().redis === 'down', { timeoutMs: 10_000, what: 'outage' });
    const during = await signToken();
    await expect(a.revoke(during)).rejects.toBeInstanceOf(BlacklistUnavailableError);
    expect(await a.isRevoked(during)).toBe(true); // honoured here even so
    await server.restart();
    await waitUntil(() => a.stats().reseeds >= 2, { timeoutMs: 20_000, what: 'write-back' });
    const fresh = make({ prefix });
    expect(await fresh.check(before)).toMatchObject({ revoked: true, source: 'redis' });
    expect(await fresh.check(await signToken({ sub: 'zoe', iatOffset: -30 }))).toMatchObject({
      revoked: true,
      reason: 'user',
      source: 'redis',
    });
  });

  it('at trace level the password never reaches a log line, and this package logs ≤ 2 lines per outage', async () => {
    const log = captureLogger('trace');
    const a = make({
      logger: log,
      mirror: { heartbeat: '200ms' },
      outbox: createFileOutbox({ directory: tempDir() }),
    });
    expect(await a.ready('10s')).toBe(true);
    log.clear();
    await server.kill();
    await waitUntil(() => a.stats().redis === 'down', { timeoutMs: 10_000, what: 'outage' });
    const during = await signToken();
    expect(await a.revoke(during)).toMatchObject({ queued: true });
    for (let i = 0; i < 20; i++) await a.check(await signToken());
    await server.restart();
    await waitUntil(() => a.stats().replayed === 1 && a.inSync, {
      timeoutMs: 20_000,
      what: 'replayed and in sync',
    });
    const own = log.entries.filter((e) => !/^redis (outage|probe)/.test(e.msg));
    expect(own.length, JSON.stringify(own.map((e) => e.msg))).toBeLessThanOrEqual(2);
    expect(log.containsText(password)).toBe(false);

    // The subscriber's own error path: its AUTH now fails (ioredis puts the password in
    // err.command.args); the line it logs carries only the redacted message.
    log.clear();
    const admin = new Redis(server.url);
    try {
      await admin.config('SET', 'requirepass', 'another-password');
      await admin.client('KILL', 'TYPE', 'pubsub');
      await waitUntil(() => !a.inSync, { timeoutMs: 10_000, what: 'subscriber dropped' });
      await waitUntil(() => log.find(/subscriber error/) !== undefined, {
        timeoutMs: 10_000,
        what: 'the subscriber error line',
      });
      expect(log.containsText(password)).toBe(false);
      expect(log.lines().filter((e) => /subscriber error/.test(e.msg))).toHaveLength(1);
    } finally {
      await admin.config('SET', 'requirepass', password).catch(() => {});
      admin.disconnect();
    }
  });

  it('requireCanIssue answers 503 + Retry-After with the shared body while Redis is down', async () => {
    const a = make();
    const app = express();
    app.post('/refresh', a.requireCanIssue(), (_req, res) => {
      res.json({ token: 'new' });
    });
    const http = await listen(app);
    try {
      expect((await fetch(`${http.url}/refresh`, { method: 'POST' })).status).toBe(200);
      await server.kill();
      await waitUntil(() => a.stats().redis === 'down', { timeoutMs: 10_000, what: 'outage' });
      const res = await fetch(`${http.url}/refresh`, { method: 'POST' });
      expect(res.status).toBe(503);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await res.json()).toEqual({
        error: { code: 'E_BLACKLIST_UNAVAILABLE', message: expect.any(String) },
      });
      const lenient = make({ issueDuringOutage: true });
      expect(lenient.canIssue()).toBe(true);
      await server.restart();
      await waitUntil(async () => (await fetch(`${http.url}/refresh`, { method: 'POST' })).ok, {
        timeoutMs: 20_000,
        what: 'issuance allowed again',
      });
    } finally {
      await http.close();
    }
  });
});

describe('memory-only (no redis)', () => {
  it('revokes and checks in this process, says so in stats, and always lets credentials be issued', async () => {
    const log = captureLogger('trace');
    const b = createTokenBlacklist({ logger: log });
    try {
      const token = await signToken({ sub: 'mo' });
      expect(await b.check(token)).toEqual({ revoked: false, reason: undefined, source: 'local' });
      expect(await b.revoke(token)).toMatchObject({
        revoked: true,
        persisted: false,
        queued: false,
      });
      expect(await b.check(token)).toEqual({ revoked: true, reason: 'token', source: 'local' });
      await b.revokeAllForUser('mo');
      expect(await b.check(await signToken({ sub: 'mo', iatOffset: -5 }))).toMatchObject({
        revoked: true,
        reason: 'user',
      });
      expect(b.canIssue()).toBe(true);
      expect(() => b.assertCanIssue()).not.toThrow();
      expect(await b.ready()).toBe(true);
      expect(b.stats()).toMatchObject({ redis: 'absent', revocation: 2, hit: 2, miss: 1 });
      expect(log.lines('info')).toHaveLength(1); // "memory-only" once
    } finally {
      await b.close();
    }
  });
});

describe('error classes', () => {
  it('one base, E_BLACKLIST_* / E_TOKENS_* codes, static code = instance code', async () => {
    const { ToolkitError } = await import('@redis-toolkit/connection');
    const { errors } = await import('../src/index.js');
    for (const [name, Class] of Object.entries(errors)) {
      const instance =
        Class === errors.TokenInputError
          ? new errors.TokenInputError('invalid_input', 'x')
          : Class === errors.TokenBlacklistConfigError
            ? new errors.TokenBlacklistConfigError('f', 'x')
            : Class === errors.TokensConfigError
              ? new errors.TokensConfigError('createRefreshTokens', 'f', 'x')
              : Class === errors.TokensLimitedError
                ? new errors.TokensLimitedError('x', 1)
                : Class === errors.TokenReusedError
                  ? new errors.TokenReusedError('s', 'f')
                  : Class === errors.TokenInvalidError
                    ? new errors.TokenInvalidError('unknown', 'x')
                    : new (Class as typeof BlacklistUnavailableError)('x');
      expect(instance).toBeInstanceOf(ToolkitError);
      expect(instance.name).toBe(name);
      expect(instance.code).toBe(Class.code);
      expect(Class.code).toMatch(/^E_(BLACKLIST|TOKENS)_[A-Z_]+$/);
    }
  });
});
