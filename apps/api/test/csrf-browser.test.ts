import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { logCapture, startApp } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`CSRF browser test skipped: ${CHROMIUM} is missing`);

async function pageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end('<!doctype html><title>another origin</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/**
 * Real cross-origin requests from chromium: the staff member is signed in (cookie in the
 * browser); pages on two other origins (other ports) call the API with that cookie. The allowed
 * front end (CORS_ORIGINS) gets 403 without the token and 200 with it; a foreign page's forged
 * no-cors POST is refused 403 by the server (read from the request log: it cannot see it).
 */
describe.runIf(haveChromium)('CSRF with a real cross-origin request (chromium)', () => {
  let redis: RedisServer;
  let app: RunningServer;
  let front: { server: Server; origin: string };
  let evil: { server: Server; origin: string };
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const log = logCapture();

  beforeAll(async () => {
    redis = await startRedis();
    front = await pageServer();
    evil = await pageServer();
    app = await startApp(
      { REDIS_URL: redis.url, LOG_LEVEL: 'info', CORS_ORIGINS: front.origin },
      undefined,
      { logStream: log.stream },
    );
    profile = mkdtempSync(join(tmpdir(), 'api-csrf-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    page = context.pages()[0] ?? (await context.newPage());
  }, 90_000);
  afterAll(async () => {
    await context?.close();
    await app?.shutdown();
    await new Promise((r) => front?.server.close(r));
    await new Promise((r) => evil?.server.close(r));
    await redis?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('cookie without token → 403, with token → 200, a forged POST from a foreign page → 403', async () => {
    const api = `http://127.0.0.1:${app.port}`;
    // a page of the API's origin that may connect to it (the status page: `connect-src 'self'`);
    // a JSON response opened as a document may load nothing (`default-src 'none'`)
    await page.goto(`${api}/`);
    const login = await page.evaluate(async () => {
      const res = await fetch('/dental/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'eva@dental.test', password: 'demo-password' }),
      });
      return res.status;
    });
    expect(login).toBe(200);
    // and the JSON response's CSP really holds in the browser: a script in it cannot connect
    await page.goto(`${api}/health`);
    const fromJson = await page.evaluate(() =>
      fetch('/health').then(
        (res) => res.status,
        (error: unknown) => String(error),
      ),
    );
    expect(fromJson).toMatch(/Failed to fetch/);

    await page.goto(front.origin);
    const fromFront = await page.evaluate(async (base) => {
      const patch = (headers: Record<string, string>) =>
        fetch(`${base}/dental/appointments/9`, {
          method: 'PATCH',
          credentials: 'include',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ status: 'cancelled' }),
        });
      const without = await patch({});
      const code = ((await without.json()) as { error: { code: string } }).error.code;
      const { token } = (await (
        await fetch(`${base}/csrf-token`, { credentials: 'include' })
      ).json()) as { token: string };
      const withToken = await patch({ 'x-csrf-token': token });
      return {
        without: without.status,
        code,
        withToken: withToken.status,
        origin: (globalThis as unknown as { location: { origin: string } }).location.origin,
      };
    }, api);
    expect(fromFront).toEqual({
      without: 403,
      code: 'E_API_CSRF_INVALID',
      withToken: 200,
      origin: front.origin,
    });

    await page.goto(evil.origin);
    const opaque: string = await page.evaluate(async (base) => {
      // what a hostile page can send with the cookie: a "simple" POST (no preflight)
      const res = await fetch(`${base}/dental/invoices/5/pay`, {
        method: 'POST',
        mode: 'no-cors',
        credentials: 'include',
        headers: { 'content-type': 'text/plain' },
        body: '{}',
      }).catch(() => undefined);
      return res?.type ?? 'blocked';
    }, api);
    // the page learns nothing (helmet's Cross-Origin-Resource-Policy even blocks the opaque reply)…
    expect(['opaque', 'blocked']).toContain(opaque);
    const forged = log.lines.filter(
      (l) =>
        (l.req as { url?: string } | undefined)?.url === '/dental/invoices/5/pay' &&
        (l.req as { method?: string }).method === 'POST',
    );
    // …and the server refused it: the cookie was sent, the token was not
    expect(forged.map((l) => (l.res as { statusCode: number }).statusCode)).toEqual([403]);
    expect(
      (forged[0]!.req as { headers: Record<string, string> }).headers.origin ?? evil.origin,
    ).toBe(evil.origin);
  }, 60_000);
});
