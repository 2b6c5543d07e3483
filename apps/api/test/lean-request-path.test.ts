import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { errorHandler } from '../src/errors.js';
import { hasBody } from '../src/has-body.js';
import { inSequence } from '../src/in-sequence.js';
import { requestLogging } from '../src/request-log.js';
import { jsonHeaders, pageHeaders, securityHeaders } from '../src/security/headers.js';
import { logCapture } from './helpers.js';

// The per-request shortcuts of the request path (bench/results/api.md measures them) must not
// change what a response carries or what the log says.

const open: { close(): void }[] = [];
afterEach(() => {
  for (const server of open.splice(0)) server.close();
});

async function serve(app: Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  open.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function headersOf(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  res.headers.forEach((value, name) => {
    if (name !== 'date' && name !== 'etag' && name !== 'x-request-id') out[name] = value;
  });
  return out;
}

function loggedApp(level: string) {
  const log = logCapture();
  const logger = pino(
    {
      level,
      redact: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
    },
    log.stream,
  );
  const app = express();
  app.use(requestLogging(app, logger));
  app.get('/ok', (req, res) => {
    res.json({ id: req.id });
  });
  app.get('/boom', () => {
    throw new Error('database on fire');
  });
  app.use(errorHandler);
  return { app, log, logger };
}

describe('lean request path', () => {
  it('precomputed security headers are exactly helmet’s, pages and JSON, in development and production', async () => {
    for (const production of [false, true]) {
      const recorded = express().use(securityHeaders({ production }));
      recorded.get(['/', '/docs/x', '/dental/staff'], (_req, res) => res.json({}));
      const base = await serve(recorded);
      for (const [path, helmetOf] of [
        ['/', pageHeaders],
        ['/docs/x?y=1', pageHeaders],
        ['/dental/staff', jsonHeaders],
        ['/dental/staff?docs=1', jsonHeaders],
      ] as const) {
        const withHelmet = express().use(helmetOf(production));
        withHelmet.use((_req, res) => res.json({}));
        const [a, b] = await Promise.all([
          fetch(`${await serve(withHelmet)}${path}`).then(headersOf),
          fetch(`${base}${path}`).then(headersOf),
        ]);
        expect(b, path).toEqual(a);
        expect(b?.['content-security-policy']).toContain("frame-ancestors 'none'");
        expect(Boolean(b?.['strict-transport-security'])).toBe(production);
      }
      // JSON: the OWASP REST set; the document-only headers stay on pages
      const json = headersOf(await fetch(`${base}/dental/staff`));
      expect(json['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(json['x-frame-options']).toBe('DENY');
      expect(json['x-content-type-options']).toBe('nosniff');
      expect(json['cross-origin-resource-policy']).toBe('same-origin');
      expect(json['referrer-policy']).toBeUndefined();
      const page = headersOf(await fetch(`${base}/`));
      expect(page['referrer-policy']).toBe('no-referrer');
      expect(page['content-security-policy']).toContain("script-src 'self'");
    }
  });

  it('inSequence runs its steps in order as one layer; next(error), a throw or an answer stop it', async () => {
    const seen: string[] = [];
    const app = express();
    app.use(
      inSequence(
        (_req, res, next) => {
          seen.push('a');
          res.setHeader('x-a', '1');
          next();
        },
        (req, res, next) => {
          seen.push('b');
          if (req.path === '/answer') res.status(204).end();
          else if (req.path === '/fail') next(new Error('step failed'));
          else if (req.path === '/throw') throw new Error('step threw');
          else next();
        },
        (_req, _res, next) => {
          seen.push('c');
          next();
        },
      ),
    );
    app.get('/ok', (_req, res) => res.json({ ok: true }));
    app.use(((error, _req, res, _next) => {
      res.status(500).json({ message: (error as Error).message });
    }) as express.ErrorRequestHandler);
    const base = await serve(app);
    const ok = await fetch(`${base}/ok`);
    expect(ok.headers.get('x-a')).toBe('1');
    expect(await ok.json()).toEqual({ ok: true });
    expect(seen.splice(0)).toEqual(['a', 'b', 'c']);
    expect((await fetch(`${base}/answer`)).status).toBe(204);
    expect(seen.splice(0)).toEqual(['a', 'b']);
    for (const [path, message] of [
      ['/fail', 'step failed'],
      ['/throw', 'step threw'],
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ message });
      expect(seen.splice(0)).toEqual(['a', 'b']);
    }
  });

  it('hasBody follows the body parser: Content-Length or Transfer-Encoding', () => {
    const req = (headers: Record<string, string>) =>
      ({ headers }) as unknown as Parameters<typeof hasBody>[0];
    expect(hasBody(req({}))).toBe(false);
    expect(hasBody(req({ 'content-type': 'application/json' }))).toBe(false);
    expect(hasBody(req({ 'content-length': '0' }))).toBe(true);
    expect(hasBody(req({ 'content-length': '12' }))).toBe(true);
    expect(hasBody(req({ 'transfer-encoding': 'chunked' }))).toBe(true);
  });

  for (const level of ['info', 'warn', 'silent']) {
    it(`level ${level}: a request id on every response, the caller's when well-formed`, async () => {
      const { app } = loggedApp(level);
      const base = await serve(app);
      const mine = await fetch(`${base}/ok`, { headers: { 'x-request-id': 'abc-123' } });
      expect(mine.headers.get('x-request-id')).toBe('abc-123');
      expect(await mine.json()).toEqual({ id: 'abc-123' });
      const bad = await fetch(`${base}/ok`, { headers: { 'x-request-id': 'no spaces!' } });
      expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  }

  it('level warn: no line per request, and a 5xx line carries the request with secrets redacted', async () => {
    const { app, log } = loggedApp('warn');
    const base = await serve(app);
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig-DO-NOT-LOG';
    await fetch(`${base}/ok?access_token=${secret}`);
    expect(log.lines).toHaveLength(0);
    const res = await fetch(`${base}/boom?access_token=${secret}&page=2`, {
      headers: { cookie: 'dental.sid=s%3Asecret-session', authorization: 'Bearer xyz' },
    });
    expect(res.status).toBe(500);
    expect(log.lines).toHaveLength(1);
    const line = log.lines[0] as {
      msg: string;
      err: { message: string };
      req: { id: string; url: string; headers: Record<string, string> };
    };
    expect(line.msg).toBe('request failed');
    expect(line.err.message).toBe('database on fire');
    expect(line.req.id).toBe(res.headers.get('x-request-id'));
    expect(line.req.url).toBe('/boom?access_token=***&page=2');
    expect(line.req.headers.cookie).toBe('[Redacted]');
    expect(line.req.headers.authorization).toBe('[Redacted]');
    expect(log.text()).not.toContain(secret);
    expect(log.text()).not.toContain('secret-session');
  });

  it('level info: one line per request through pino-http, redacted; a level change applies at once', async () => {
    const { app, log, logger } = loggedApp('info');
    const base = await serve(app);
    await fetch(`${base}/ok?access_token=t0k3n&page=1`);
    const completed = log.lines.filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(1);
    expect((completed[0]!.req as { url: string }).url).toBe('/ok?access_token=***&page=1');
    expect(log.text()).not.toContain('t0k3n');
    logger.level = 'warn';
    await fetch(`${base}/ok`);
    expect(log.lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
    logger.level = 'info';
    await fetch(`${base}/ok`);
    expect(log.lines.filter((l) => l.msg === 'request completed')).toHaveLength(2);
  });

  it('level info: probes, scrapes, the status page, the docs and the job board get no line', async () => {
    const { app, log } = loggedApp('info');
    const quietPaths = [
      '/health',
      '/ready',
      '/ready?verbose=1',
      '/metrics',
      '/status.json',
      '/status/app.js',
      '/docs',
      '/admin/queues',
      '/admin/queues/api/queues?activeQueue=email',
    ];
    for (const path of [...quietPaths, '/admin/queuesx', '/readyz']) {
      app.get(path.split('?')[0]!, (_req, res) => {
        res.json({ ok: true });
      });
    }
    const base = await serve(app);
    for (const path of quietPaths) expect((await fetch(`${base}${path}`)).status).toBe(200);
    expect(log.lines.filter((l) => l.msg === 'request completed')).toEqual([]);
    // the rest is logged, paths that only start like a quiet one included
    for (const path of ['/ok', '/admin/queuesx', '/readyz']) await fetch(`${base}${path}`);
    const urls = log.lines
      .filter((l) => l.msg === 'request completed')
      .map((l) => (l.req as { url: string }).url);
    expect(urls).toEqual(['/ok', '/admin/queuesx', '/readyz']);
  });
});
