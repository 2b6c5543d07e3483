import { describeEachTopology } from '@redis-toolkit/testing';
import { expect, it } from 'vitest';
import { createRateLimiter } from '../src/index.js';
import { startApp, uniqueName } from './helpers.js';

interface Logged {
  level: string;
  obj: unknown;
  msg: string | undefined;
}
function recordingLogger() {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg: typeof obj === 'string' ? obj : msg });
    };
  return {
    lines,
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
  };
}

// Key derivation does not depend on the topology; one server is enough.
describeEachTopology(
  'keys and proxies',
  (ctx) => {
    it('a spoofed X-Forwarded-For without trust proxy does not get a fresh budget (and is reported)', async () => {
      const { lines, logger } = recordingLogger();
      const limiter = createRateLimiter({
        redis: ctx.client(),
        name: uniqueName('xff'),
        window: '1m',
        limit: 2,
        logger,
      });
      const { url } = await startApp(limiter);
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        const res = await fetch(url, { headers: { 'x-forwarded-for': `203.0.113.${i}` } });
        statuses.push(res.status);
      }
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(lines.some((l) => l.level === 'error' && /X-Forwarded-For/.test(l.msg ?? ''))).toBe(
        true,
      );
    });

    it('behind one trusted proxy, clients are told apart by X-Forwarded-For, IPv6 grouped by /56', async () => {
      const limiter = createRateLimiter({
        redis: ctx.client(),
        name: uniqueName('v6'),
        window: '1m',
        limit: 2,
      });
      const { url } = await startApp(limiter, (app) => app.set('trust proxy', 1));
      const from = (ip: string) =>
        fetch(url, { headers: { 'x-forwarded-for': ip } }).then((r) => r.status);
      // same /56: 2001:db8:1234:5600::/56 spans 5600..56ff
      expect(await from('2001:db8:1234:5600::1')).toBe(200);
      expect(await from('2001:db8:1234:56ff:ffff::2')).toBe(200);
      expect(await from('2001:db8:1234:5612::3')).toBe(429);
      // next /56 is another client
      expect(await from('2001:db8:1234:5700::1')).toBe(200);
      // IPv4 clients are separate
      expect(await from('198.51.100.7')).toBe(200);
      expect(await from('198.51.100.8')).toBe(200);
      // the spoofed leftmost entries are ignored: only the address the trusted proxy saw counts
      expect(await from('10.0.0.1, 2001:db8:1234:5600::9')).toBe(429);
    });

    it('warns when trust proxy is `true` (anyone can pick their IP)', async () => {
      const { lines, logger } = recordingLogger();
      const limiter = createRateLimiter({
        redis: ctx.client(),
        name: uniqueName('tp'),
        window: '1m',
        limit: 2,
        logger,
      });
      const { url } = await startApp(limiter, (app) => app.set('trust proxy', true));
      await fetch(url);
      expect(lines.some((l) => /trust proxy/i.test(l.msg ?? ''))).toBe(true);
    });
  },
  ['standalone'],
);
