import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import express from 'express';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/errors.js';
import { requestLogging } from '../src/request-log.js';
import { appLogOptions, safeErr } from '../src/security/log-redaction.js';
import { logCapture } from './helpers.js';

// Issue 10, item 6: never a secret at any level. An ioredis error carries the failed command
// (`err.command.args`: values, the password of an AUTH), and pino's default err serializer copies
// every enumerable field. The errors here come from a real redis-server.
const SECRET = 'hunter2-Secret-Pass-93f1';

let server: RedisServer;
let redis: Redis;
let authError: Error & { command?: { args?: unknown[] } };
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  redis.on('error', () => {});
  await redis.connect();
  // the server has no password: it refuses the AUTH, and ioredis attaches the command to the error
  authError = await redis.call('AUTH', 'app-user', SECRET).then(
    () => {
      throw new Error('AUTH was accepted');
    },
    (error: unknown) => error as typeof authError,
  );
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('app logs never carry an error’s command.args (trace level)', () => {
  it('the Redis error really carries the secret, and pino’s default serializer logs it', () => {
    expect(authError.name).toBe('ReplyError');
    expect(authError.command?.args).toContain(SECRET);
    const log = logCapture();
    pino({ level: 'trace' }, log.stream).warn({ err: authError }, 'default serializer');
    expect(log.text()).toContain(SECRET); // what the app's serializer must prevent
  });

  it('the app logger: { err } at every level keeps type, message and stack, never the args', () => {
    const log = logCapture();
    const logger = pino(appLogOptions('trace'), log.stream);
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const)
      logger[level]({ err: authError }, `raw ${level}`);
    logger.warn({ err: safeErr(authError) }, 'through safeErr');
    logger.warn({ err: new Error('wrapped', { cause: authError }) }, 'as a cause');
    expect(log.lines).toHaveLength(8);
    expect(log.text()).not.toContain(SECRET);
    expect(log.text()).not.toContain('"args"');
    for (const line of log.lines) {
      const err = line.err as Record<string, unknown>;
      expect(err).toBeDefined();
      expect(Object.keys(err).sort()).toEqual(
        line.msg === 'as a cause'
          ? ['cause', 'message', 'stack', 'type']
          : ['message', 'stack', 'type'],
      );
    }
    const first = log.lines[0]?.err as { type: string; message: string; stack: string };
    expect(first.type).toBe('ReplyError');
    expect(first.message).toMatch(/WRONGPASS|AUTH/);
    expect(first.stack).toMatch(/\n\s+at /);
  });

  it('a request: the 500 handler’s line, pino-http’s line and a route’s req.log carry no args', async () => {
    const log = logCapture();
    const logger = pino(appLogOptions('trace'), log.stream);
    const app = express();
    app.use(requestLogging(app, logger));
    app.get('/fails', async (req, _res, next) => {
      try {
        await redis.call('AUTH', 'app-user', SECRET);
      } catch (error) {
        req.log.warn({ err: error }, 'route saw a redis error'); // as idempotency.ts's settle does
        next(error);
      }
    });
    app.use(errorHandler);
    const http = app.listen(0, '127.0.0.1');
    await new Promise((r) => http.once('listening', r));
    try {
      const { port } = http.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/fails`);
      expect(res.status).toBe(500);
      await res.text();
      await new Promise((r) => setTimeout(r, 50)); // pino-http logs when the response finishes
    } finally {
      await new Promise((r) => http.close(r));
    }
    const msgs = log.lines.map((l) => l.msg);
    expect(msgs).toContain('route saw a redis error');
    expect(msgs).toContain('request failed');
    expect(msgs).toContain('request errored');
    const failed = log.lines.find((l) => l.msg === 'request failed')?.err as { type: string };
    expect(failed.type).toBe('ReplyError');
    expect(log.text()).not.toContain(SECRET);
    expect(log.text()).not.toContain('"args"');
  });
});
