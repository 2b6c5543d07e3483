import { createServer, type Server } from 'node:http';
import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { Client, dentalClient, logCapture, startApp } from './helpers.js';

/** A second origin: a tiny page server on another port (what a front end, or an attacker, is). */
async function originServer(html: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** Every key of the server, every value of every type, as raw bytes (SCAN, never KEYS). */
async function dumpRedis(url: string): Promise<{ keys: string[]; blob: string }> {
  const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await raw.connect();
  try {
    const keys: string[] = [];
    const parts: Buffer[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await raw.scanBuffer(cursor, 'COUNT', 500);
      cursor = next.toString();
      for (const keyBuf of batch) {
        const key = keyBuf.toString('latin1');
        keys.push(key);
        parts.push(keyBuf);
        const type = await raw.type(key);
        if (type === 'string') parts.push((await raw.getBuffer(key)) ?? Buffer.alloc(0));
        else if (type === 'hash') parts.push(...Object.values(await raw.hgetallBuffer(key)));
        else if (type === 'set') parts.push(...(await raw.smembersBuffer(key)));
        else if (type === 'zset') parts.push(...(await raw.zrangeBuffer(key, 0, -1)));
        else if (type === 'list') parts.push(...(await raw.lrangeBuffer(key, 0, -1)));
        else if (type === 'stream')
          parts.push(Buffer.from(JSON.stringify(await raw.xrange(key, '-', '+'))));
      }
    } while (cursor !== '0');
    // utf8 and latin1 views: a field in either encoding would be found
    const all = Buffer.concat(parts);
    return { keys, blob: `${all.toString('utf8')}\n${all.toString('latin1')}` };
  } finally {
    raw.disconnect();
  }
}

describe('security of the reference app (one Redis, PGlite)', () => {
  let redis: RedisServer;
  let app: RunningServer;
  let front: { server: Server; origin: string };
  const log = logCapture();

  beforeAll(async () => {
    redis = await startRedis();
    front = await originServer('<!doctype html><title>front end</title>');
    app = await startApp(
      { REDIS_URL: redis.url, LOG_LEVEL: 'info', CORS_ORIGINS: front.origin },
      undefined,
      { logStream: log.stream },
    );
    await app.redis.waitUntilReady();
    await app.platform.caches.dental?.ready();
  });
  afterAll(async () => {
    await app?.shutdown();
    await new Promise((resolve) => front?.server.close(resolve));
    await redis?.stop();
  });

  it('Redis holds no patient or care-client field in plaintext after cached reads', async () => {
    const staff = await dentalClient(app, 'admin');
    const patient = {
      firstName: 'Zebedee',
      lastName: 'Quillfeather',
      email: 'zebedee.quillfeather@example.test',
      phone: '+1-555-8642',
      dateOfBirth: '1961-07-23',
    };
    const created = await staff.post('/dental/patients', patient);
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    await staff.post(`/dental/patients/${id}/treatments`, {
      code: 'D3310',
      description: 'Molar root canal Xylophage',
      costCents: 120_000,
    });
    for (let i = 0; i < 2; i++) {
      await staff.get(`/dental/patients/${id}`);
      await staff.get(`/dental/patients/${id}/treatments`);
      await staff.get(`/dental/patients/${id}/invoices`);
      await staff.get('/dental/patients?page=1&limit=20');
    }
    expect((await staff.get(`/dental/patients/${id}`)).headers.get('x-cache')).toBe('HIT');
    const seeded = (await staff.get('/dental/patients/3')).body;
    const care = Client.for(app, { useCookies: true });
    await care.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' });
    const clients = (await care.get('/care/clients')).body.items as {
      name: string;
      address: string;
    }[];
    expect((await care.get('/care/clients')).headers.get('x-cache')).toBe('HIT');

    const { keys, blob } = await dumpRedis(redis.url);
    expect(keys.some((k) => k.startsWith('dental:cache:patient'))).toBe(true);
    expect(keys.some((k) => k.startsWith('care:cache:'))).toBe(true);
    const fields = [
      ...Object.values(patient),
      'Xylophage',
      seeded.email,
      seeded.phone,
      ...clients.slice(0, 20).flatMap((c) => [c.name, c.address]),
    ];
    const found = fields.filter((f) => blob.includes(String(f)));
    expect(found).toEqual([]);
    // the dump does read values: the staff session (not sealed, no patient data) is found
    expect(blob).toContain('Ada Admin');
  });

  it('CSRF: a session cookie without the token is 403 (JSON body); with the token 2xx', async () => {
    const staff = await dentalClient(app, 'receptionist');
    const cookie = staff.cookieHeader();
    const headers = { origin: front.origin, cookie, 'content-type': 'application/json' };
    const body = JSON.stringify({ status: 'cancelled' });
    const forged = await fetch(`${staff.base}/dental/appointments/9`, {
      method: 'PATCH',
      headers,
      body,
    });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ error: { code: 'E_API_CSRF_INVALID' } });
    // a token from another session does not pass either
    const other = await dentalClient(app, 'receptionist');
    const foreign = await other.csrfToken();
    const crossed = await fetch(`${staff.base}/dental/appointments/9`, {
      method: 'PATCH',
      headers: { ...headers, 'x-csrf-token': foreign! },
      body,
    });
    expect(crossed.status).toBe(403);
    const token = await staff.csrfToken();
    const csrfCookie = staff.cookieHeader();
    const real = await fetch(`${staff.base}/dental/appointments/9`, {
      method: 'PATCH',
      headers: { ...headers, cookie: csrfCookie, 'x-csrf-token': token! },
      body,
    });
    expect(real.status).toBe(200);
    expect(real.headers.get('access-control-allow-origin')).toBe(front.origin);
    expect(real.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('security headers: CSP for the status page and docs, a none CSP on JSON, nosniff, frame-ancestors none', async () => {
    const res = await Client.for(app).get('/');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('strict-transport-security')).toBeNull(); // not production
    const api = await Client.for(app).get('/dental/staff');
    expect(api.headers.get('content-security-policy')).toBe(
      "default-src 'none';frame-ancestors 'none'",
    );
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-frame-options')).toBe('DENY');
    const docs = await Client.for(app).get('/docs/');
    expect(docs.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('query-string tokens are redacted from the request log', async () => {
    const secret = 'eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.sig-DO-NOT-LOG';
    await Client.for(app).get(
      `/dental/patients?access_token=${secret}&page=1&code=oauth-code-XYZ&token=t0k3n`,
    );
    const lines = log.lines.filter((l) =>
      String((l.req as { url?: string } | undefined)?.url ?? '').startsWith('/dental/patients?'),
    );
    expect(lines.length).toBeGreaterThan(0);
    const url = (lines.at(-1)!.req as { url: string }).url;
    expect(url).toBe('/dental/patients?access_token=***&page=1&code=***&token=***');
    const text = log.text();
    expect(text).not.toContain(secret);
    expect(text).not.toContain('oauth-code-XYZ');
    expect(text).not.toContain('t0k3n');
  });

  it('X-Forwarded-For with TRUST_PROXY=0 logs one warning naming TRUST_PROXY', async () => {
    for (let i = 0; i < 3; i++)
      await Client.for(app).get('/openapi.json', { headers: { 'x-forwarded-for': '203.0.113.9' } });
    const warnings = log.lines.filter((l) =>
      /X-Forwarded-For but TRUST_PROXY=0/.test(String(l.msg)),
    );
    expect(warnings).toHaveLength(1);
  });
});
