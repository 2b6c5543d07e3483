import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { Client, startApp } from './helpers.js';

// Debian's chromium; BROWSER_TEST_CHROMIUM only exists to check the missing-browser path.
const CHROMIUM = process.env.BROWSER_TEST_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = process.env.CI === 'true';
const SHOTS = join(import.meta.dirname, '../docs');

if (!haveChromium && !inCi)
  console.log(`browser test skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

// Skipped (reported as such) whenever chromium is present: it only exists to make a CI run without
// chromium FAIL instead of silently skipping the browser suite below.
describe.runIf(!haveChromium && inCi)('browser test prerequisites', () => {
  it('has chromium', () => {
    throw new Error(
      `browser test: ${CHROMIUM} is missing (apt-get install -y chromium); CI=true never skips it`,
    );
  });
});

/**
 * The status page and /docs in a real browser (Debian's chromium through playwright-core): the
 * numbers move after requests, a killed Redis shows as the red outage banner, a restarted one as
 * recovered. Screenshots of both pages go to apps/api/docs/ (the READMEs show them).
 */
describe.runIf(haveChromium)('status page and docs in chromium', () => {
  let redis: RedisServer;
  let app: RunningServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  beforeAll(async () => {
    redis = await startRedis();
    app = await startApp({
      REDIS_URL: redis.url,
      NODE_ENV: 'development',
      RATE_LIMIT_ENABLED: 'true',
      GLOBAL_RATE_LIMIT: '100000',
      API_RATE_LIMIT: '100000',
      AUTH_RATE_LIMIT: '1000',
    });
    profile = mkdtempSync(join(tmpdir(), 'api-browser-'));
    // launch() refuses --user-data-dir in args: the persistent context passes the same flag.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    mkdirSync(SHOTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await app?.shutdown();
    await redis?.stop();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const text = async (selector: string) => (await page.locator(selector).textContent()) ?? '';
  const number = async (selector: string) => Number(await text(selector));

  it('shows live numbers, an outage in red with its start, and the recovery', async () => {
    const base = `http://127.0.0.1:${app.port}`;
    await page.goto(`${base}/`);
    await page.waitForSelector('#redis-state[data-state="up"]', { timeout: 20_000 });
    expect(await text('#redis-target')).toContain(`:${redis.port}`);

    // Traffic: a carer signs in, reads their clients (a miss, then hits), is online, raises an alert.
    const c = Client.for(app, { useCookies: true });
    const login = await c.post('/care/auth/login', {
      email: 'carer@care.test',
      password: 'demo-password',
    });
    expect(login.status).toBe(200);
    for (let i = 0; i < 6; i++) expect((await c.get('/care/clients')).status).toBe(200);
    // A second burst in a later 2 s window, so the hit-ratio chart has a line.
    await new Promise((r) => setTimeout(r, 2_500));
    for (let i = 0; i < 4; i++) expect((await c.get('/care/clients')).status).toBe(200);
    expect((await c.post('/care/presence/heartbeat')).status).toBe(200);
    const alert = { clientId: 2, severity: 'critical', message: 'Fall detected (browser test)' };
    expect((await c.post('/care/alerts', alert)).status).toBe(201);

    await expect
      .poll(() => number('[data-cache="care"] .hit'), { timeout: 20_000 })
      .toBeGreaterThanOrEqual(5);
    expect(await number('[data-cache="care"] .miss')).toBeGreaterThanOrEqual(1);
    expect(await number('[data-limiter="api"] .allow')).toBeGreaterThanOrEqual(6);
    await expect.poll(() => text('#alerts'), { timeout: 20_000 }).toContain('Fall detected');
    await expect.poll(() => text('#presence'), { timeout: 20_000 }).toContain('carer #');
    expect(await text('#blacklist-sync')).toBe('in sync');
    // Enough latency samples for a line on the screenshot.
    await waitUntil(() => app.status.snapshot().redis.latency.length >= 4, {
      what: 'latency samples',
      timeoutMs: 30_000,
    });
    await page.waitForTimeout(2_500);
    // At 1280 px every card fits its content: no horizontal scroll bar (the rate-limit and job
    // tables did not fit a one-column card).
    const scrolling = await page.evaluate(
      "[...document.querySelectorAll('main > section')].filter((s) => s.scrollWidth > s.clientWidth).map((s) => s.querySelector('h2').textContent)",
    );
    expect(scrolling).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'status-page.png'), fullPage: true });

    // Redis dies: the banner turns red and says since when.
    await redis.kill();
    await c.get('/care/clients'); // a call notices at once; the watchdog would too
    await page.waitForSelector('#outage-banner.on', { timeout: 30_000 });
    const banner = await text('#outage-banner');
    expect(banner).toMatch(/Redis is DOWN since/);
    const red = await page.evaluate(
      'getComputedStyle(document.querySelector("#outage-banner")).backgroundColor',
    );
    expect(red).toBe('rgb(208, 49, 45)');
    expect(await page.locator('#redis-state').getAttribute('data-state')).toBe('outage');
    await page.screenshot({ path: join(SHOTS, 'status-page-outage.png'), fullPage: false });

    // Back: the banner goes, the incident is listed as resolved.
    await redis.restart();
    await page.waitForSelector('#redis-state[data-state="up"]', { timeout: 45_000 });
    expect(await page.locator('#outage-banner').getAttribute('class')).not.toContain('on');
    await expect.poll(() => text('#incidents'), { timeout: 20_000 }).toContain('resolved');
  }, 180_000);

  it('/docs lists the operations (Swagger UI served from node_modules) with the demo credentials', async () => {
    await page.goto(`http://127.0.0.1:${app.port}/docs`);
    await page.waitForSelector('.opblock', { timeout: 30_000 });
    const operations = await page.locator('.opblock').count();
    expect(operations).toBeGreaterThan(30);
    expect(
      await page.locator('.opblock-summary-path', { hasText: '/dental/patients' }).count(),
    ).toBeGreaterThan(0);
    expect(await page.locator('.info').textContent()).toContain('demo-password');
    // Tall enough for the credentials and the first operations.
    await page.setViewportSize({ width: 1280, height: 1700 });
    await page.screenshot({ path: join(SHOTS, 'docs.png'), fullPage: false });
  }, 60_000);
});
