import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { type Client, dentalClient, startApp } from './helpers.js';

// One database (PGlite) shared by two app instances on one Redis: what two pods behind a load
// balancer see. Reads on B after writes on A prove invalidation crosses instances.
describe('dental clinic (two instances, one Redis, one database)', () => {
  let redis: RedisServer;
  let a: RunningServer;
  let b: RunningServer;
  let A: Client;
  let B: Client;

  beforeAll(async () => {
    redis = await startRedis();
    a = await startApp({ REDIS_URL: redis.url });
    b = await startApp({ REDIS_URL: redis.url }, a.database);
    // Every /dental route needs a staff session: an admin may call them all.
    A = await dentalClient(a, 'admin');
    B = A.on(b);
    await Promise.all([a.redis.waitUntilReady(), b.redis.waitUntilReady()]);
    // The caches' pub/sub buses keep each instance's L1 coherent; wait until they listen.
    await Promise.all([a.platform.caches.dental?.ready(), b.platform.caches.dental?.ready()]);
  });
  afterAll(async () => {
    await b?.shutdown();
    await a?.shutdown();
    await redis?.stop();
  });

  it('lists patients paginated, MISS then HIT, under the guide key shape', async () => {
    const first = await A.get('/dental/patients?page=2&limit=5');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    expect(first.body).toMatchObject({ page: 2, limit: 5, total: 500 });
    expect(first.body.items).toHaveLength(5);
    expect(first.body.items[0].id).toBe(6);
    const again = await A.get('/dental/patients?page=2&limit=5');
    expect(again.headers.get('x-cache')).toBe('HIT');
    expect(again.body).toEqual(first.body);
    // Instance B finds it in Redis (L2) without asking the database.
    expect((await B.get('/dental/patients?page=2&limit=5')).headers.get('x-cache')).toBe('HIT');
    expect(await redis.cli('EXISTS', 'dental:cache:patients:page:2:5')).toBe('1');
    expect(Number(await redis.cli('PTTL', 'dental:cache:patients:page:2:5'))).toBeGreaterThan(
      9 * 60_000,
    );
  });

  it('create on A: the list and the count are fresh on B', async () => {
    const before = await B.get('/dental/patients?page=1&limit=10');
    await B.get('/dental/dashboard/stats');
    const created = await A.post('/dental/patients', {
      firstName: 'Zoe',
      lastName: 'Quartz',
      email: 'Zoe.Quartz@example.test',
      phone: '+1-555-9999',
      dateOfBirth: '1990-04-01',
    });
    expect(created.status).toBe(201);
    expect(created.body.email).toBe('zoe.quartz@example.test');
    const after = await B.get('/dental/patients?page=1&limit=10');
    expect(after.body.total).toBe(before.body.total + 1);
    const stats = await B.get('/dental/dashboard/stats');
    expect(stats.headers.get('x-cache')).toBe('MISS');
    expect(stats.body.patients).toBe(before.body.total + 1);
  });

  it('update on A: detail and list pages are fresh on B; unrelated entries stay cached', async () => {
    expect((await B.get('/dental/patients/7')).headers.get('x-cache')).toMatch(/MISS|HIT/);
    expect((await B.get('/dental/patients/7')).headers.get('x-cache')).toBe('HIT');
    await B.get('/dental/patients/8');
    await B.get('/dental/dashboard/stats');
    const updated = await A.patch('/dental/patients/7', { phone: '+1-555-0707' });
    expect(updated.status).toBe(200);
    const detail = await B.get('/dental/patients/7');
    expect(detail.headers.get('x-cache')).toBe('MISS');
    expect(detail.body.phone).toBe('+1-555-0707');
    const page = await B.get('/dental/patients?page=1&limit=10');
    expect(page.body.items.find((p: { id: number }) => p.id === 7).phone).toBe('+1-555-0707');
    // Exactly what went stale: patient 8 and the stats (a phone change does not move counts) stay cached.
    expect((await B.get('/dental/patients/8')).headers.get('x-cache')).toBe('HIT');
    expect((await B.get('/dental/dashboard/stats')).headers.get('x-cache')).toBe('HIT');
  });

  it('appointments: booking and status changes show at once on the date list, today and detail', async () => {
    const day = '2026-12-24';
    const empty = await B.get(`/dental/appointments?date=${day}`);
    const booked = await A.post('/dental/appointments', {
      patientId: 3,
      staffId: 2,
      startsAt: `${day}T10:30:00Z`,
      durationMin: 45,
      reason: 'crown',
    });
    expect(booked.status).toBe(201);
    const list = await B.get(`/dental/appointments?date=${day}`);
    expect(list.body.items).toHaveLength(empty.body.items.length + 1);
    expect((await B.get(`/dental/appointments/${booked.body.id}`)).body.status).toBe('scheduled');
    expect((await B.get(`/dental/appointments/${booked.body.id}`)).headers.get('x-cache')).toBe(
      'HIT',
    );
    expect(
      (await A.patch(`/dental/appointments/${booked.body.id}`, { status: 'cancelled' })).status,
    ).toBe(200);
    expect((await B.get(`/dental/appointments/${booked.body.id}`)).body.status).toBe('cancelled');
    const again = await B.get(`/dental/appointments?date=${day}`);
    expect(again.body.items.find((x: { id: number }) => x.id === booked.body.id).status).toBe(
      'cancelled',
    );

    const today = new Date().toISOString().slice(0, 10);
    const todayBefore = await B.get('/dental/appointments/today');
    expect(todayBefore.body.date).toBe(today);
    const inAnHour = new Date(Date.now() + 60 * 60_000);
    if (inAnHour.toISOString().slice(0, 10) === today) {
      await A.post('/dental/appointments', {
        patientId: 4,
        staffId: 1,
        startsAt: inAnHour.toISOString(),
        reason: 'x-ray',
      });
      expect((await B.get('/dental/appointments/today')).body.items).toHaveLength(
        todayBefore.body.items.length + 1,
      );
    }
  });

  it('treatments open an invoice; paying it refreshes the invoice, the list and the stats', async () => {
    await B.get('/dental/patients/9/treatments');
    const invoicesBefore = await B.get('/dental/patients/9/invoices');
    const t = await A.post('/dental/patients/9/treatments', {
      code: 'D1110',
      description: 'cleaning',
      costCents: 12_000,
    });
    expect(t.status).toBe(201);
    expect((await B.get('/dental/patients/9/treatments')).body.items[0].id).toBe(
      t.body.treatment.id,
    );
    const invoices = await B.get('/dental/patients/9/invoices');
    expect(invoices.body.items).toHaveLength(invoicesBefore.body.items.length + 1);
    const invoiceId = t.body.invoice.id;
    expect((await B.get(`/dental/invoices/${invoiceId}`)).body.status).toBe('open');
    const stats = await B.get('/dental/dashboard/stats');
    const paid = await A.post(`/dental/invoices/${invoiceId}/pay`);
    expect(paid.status).toBe(200);
    expect((await B.get(`/dental/invoices/${invoiceId}`)).body.status).toBe('paid');
    expect((await A.post(`/dental/invoices/${invoiceId}/pay`)).status).toBe(409);
    const month = stats.body.revenueByMonth[0];
    const statsAfter = await B.get('/dental/dashboard/stats');
    expect(statsAfter.headers.get('x-cache')).toBe('MISS');
    expect(statsAfter.body.revenueByMonth[0].paidCents).toBe(month.paidCents + 12_000);
  });

  it('delete cascades: detail 404, appointments of the patient gone from cached lists', async () => {
    const created = await A.post('/dental/patients', {
      firstName: 'Del',
      lastName: 'Etable',
      email: 'del@example.test',
      phone: '+1-555-1234',
      dateOfBirth: '1980-01-01',
    });
    const pid = created.body.id as number;
    const appt = await A.post('/dental/appointments', {
      patientId: pid,
      staffId: 1,
      startsAt: '2027-01-05T09:00:00Z',
      reason: 'check-up',
    });
    expect(
      (await B.get('/dental/appointments?date=2027-01-05')).body.items.some(
        (x: { id: number }) => x.id === appt.body.id,
      ),
    ).toBe(true);
    expect((await B.get(`/dental/appointments/${appt.body.id}`)).status).toBe(200);
    expect((await B.get(`/dental/patients/${pid}`)).status).toBe(200);
    expect((await A.delete(`/dental/patients/${pid}`)).status).toBe(204);
    expect((await B.get(`/dental/patients/${pid}`)).status).toBe(404);
    expect((await B.get(`/dental/appointments/${appt.body.id}`)).status).toBe(404);
    expect(
      (await B.get('/dental/appointments?date=2027-01-05')).body.items.some(
        (x: { id: number }) => x.id === appt.body.id,
      ),
    ).toBe(false);
    expect((await A.delete(`/dental/patients/${pid}`)).status).toBe(404);
  });

  it('staff list is a cached response with ETag / 304', async () => {
    const first = await A.get('/dental/staff');
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(6);
    const etag = first.headers.get('etag');
    expect(etag).toBeTruthy();
    const second = await A.get('/dental/staff');
    expect(second.headers.get('x-cache')).toBe('HIT');
    const notModified = await A.get('/dental/staff', { headers: { 'if-none-match': etag ?? '' } });
    expect(notModified.status).toBe(304);
  });

  it('dashboard stats: MISS then HIT with the expensive aggregates', async () => {
    await a.platform.caches.dental?.invalidateTags(['dashboard']);
    const miss = await A.get('/dental/dashboard/stats');
    expect(miss.headers.get('x-cache')).toBe('MISS');
    expect(miss.body).toMatchObject({
      patients: expect.any(Number),
      staffPerformance: expect.any(Array),
      byReason: expect.any(Array),
    });
    expect((await A.get('/dental/dashboard/stats')).headers.get('x-cache')).toBe('HIT');
  });

  it.each([
    ['GET', '/dental/patients?page=0', 400, /page/],
    ['GET', '/dental/patients?limit=1000', 400, /limit/],
    ['GET', '/dental/patients/abc', 400, /id/],
    ['GET', '/dental/patients/-1', 400, /id/],
    ['GET', '/dental/patients/99999999999', 400, /id/],
    ['GET', '/dental/patients/424242', 404, /Patient/],
    ['GET', '/dental/appointments', 400, /date/],
    ['GET', '/dental/appointments?date=2026-02-31', 400, /date/],
    ['GET', '/dental/appointments?date=*', 400, /date/],
    ['GET', '/dental/invoices/0', 400, /id/],
    ['GET', '/dental/appointments/999999', 404, /Appointment/],
  ])('%s %s → %i', async (method, path, status, message) => {
    const res = await A.request(method, path);
    expect(res.status).toBe(status);
    expect(res.body.error.message).toMatch(message);
  });

  it('bad bodies are 4xx naming the field, never a 500', async () => {
    const cases: [string, string, unknown, number, RegExp][] = [
      ['POST', '/dental/patients', {}, 400, /firstName/],
      [
        'POST',
        '/dental/patients',
        { firstName: 'a', lastName: 'b', email: 'nope', phone: '123', dateOfBirth: '1990-01-01' },
        400,
        /email/,
      ],
      [
        'POST',
        '/dental/patients',
        {
          firstName: 'a',
          lastName: 'b',
          email: 'patient1@example.test',
          phone: '123',
          dateOfBirth: '1990-01-01',
        },
        409,
        /exists/i,
      ],
      ['PATCH', '/dental/patients/5', {}, 400, /at least one/],
      ['PATCH', '/dental/patients/424242', { phone: '12345' }, 404, /Patient/],
      [
        'POST',
        '/dental/appointments',
        { patientId: 1, staffId: 99, startsAt: '2026-12-01T10:00:00Z', reason: 'x' },
        422,
        /exist/,
      ],
      [
        'POST',
        '/dental/appointments',
        { patientId: 1, staffId: 1, startsAt: 'tomorrow', reason: 'x' },
        400,
        /startsAt/,
      ],
      ['PATCH', '/dental/appointments/1', { status: 'lost' }, 400, /status/],
      [
        'POST',
        '/dental/patients/1/treatments',
        { code: 'X', description: 'd', costCents: 1 },
        400,
        /code/,
      ],
      [
        'POST',
        '/dental/patients/424242/treatments',
        { code: 'D1110', description: 'd', costCents: 1 },
        404,
        /Patient/,
      ],
    ];
    for (const [method, path, body, status, message] of cases) {
      const res = await A.request(method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(res.body.error.message, `${method} ${path}`).toMatch(message);
    }
    const broken = await A.request('POST', '/dental/patients', { raw: '{"firstName":' });
    expect(broken.status).toBe(400);
  });

  it('metrics count cache hits and misses from the shared events, and the HTTP latency per route', async () => {
    const text = (await A.get('/metrics')).body as string;
    expect(text).toMatch(
      /cache_operations_total\{cache="dental",operation="getOrSet",result="hit",store="redis"\} [1-9]/,
    );
    expect(text).toMatch(
      /cache_operations_total\{cache="dental",operation="getOrSet",result="miss",store="redis"\} [1-9]/,
    );
    expect(text).toMatch(
      /redis_toolkit_events_total\{package="cache",name="dental:cache",type="hit",operation="getOrSet"\} [1-9]/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="[^"]+",method="GET",route="\/dental\/patients\/:id",status="404"\}/,
    );
    expect(text).toMatch(/redis_up 1/);
    expect(text).toMatch(/redis_available 1/);
  });

  it('serves an OpenAPI 3.1 document listing the routes', async () => {
    const doc = await A.get('/openapi.json');
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining(['/dental/patients', '/school/auth/login', '/care/alerts/stream']),
    );
  });

  it('CACHE_ENABLED=false sends every read to the database', async () => {
    const c = await startApp({ REDIS_URL: redis.url, CACHE_ENABLED: 'false' }, a.database);
    try {
      const client = A.on(c);
      expect((await client.get('/dental/dashboard/stats')).headers.get('x-cache')).toBe('BYPASS');
      expect((await client.get('/dental/dashboard/stats')).headers.get('x-cache')).toBe('BYPASS');
    } finally {
      await c.shutdown();
    }
  });
});
