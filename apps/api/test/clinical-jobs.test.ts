import { type RedisServer, startRedis, waitUntil } from '@redis-toolkit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { appOnOwnRedis, Client, dentalClient, logCapture, startApp } from './helpers.js';
import { sharedServers } from './shared-servers.js';
import { openStream } from './sse.js';

const HOUR = 3_600_000;
const P = 'api:jobs';

/** The due time of a delayed job: BullMQ's delayed score is `due ms × 4096 + a counter`. */
async function delayedDue(redis: RedisServer, queue: string, jobId: string) {
  const score = await redis.cli('ZSCORE', `${P}:${queue}:delayed`, jobId);
  return score === '' ? undefined : Math.floor(Number(score) / 4096);
}
/** The package turns `at` into a delay, BullMQ adds it to its own clock: a few ms apart. */
const expectNear = (actual: number | undefined, expected: number) =>
  expect(Math.abs((actual ?? Number.NaN) - expected)).toBeLessThan(1_000);
const jobIdOf = (key: string) => `k-${encodeURIComponent(key)}`;
const reminderJob = (appointmentId: number) => jobIdOf(`appointment:${appointmentId}`);

async function newPatient(staff: Client, n: string) {
  const res = await staff.post('/dental/patients', {
    firstName: 'Rem',
    lastName: `Inder${n}`,
    email: `reminder-${n}-${Date.now()}@example.test`,
    phone: '+1-555-0100',
    dateOfBirth: '1980-01-01',
  });
  expect(res.status).toBe(201);
  return res.body.id as number;
}

describe('dental background jobs: appointment reminders and follow-ups', () => {
  const servers = sharedServers();
  let app: RunningServer;
  /** Short lead time and follow-up delay, same Redis and database: jobs that fire within seconds. */
  let quick: RunningServer;
  let staff: Client;
  let patientId: number;

  beforeAll(async () => {
    app = await startApp({ REDIS_URL: servers.redis.url }, servers.database);
    quick = await startApp(
      { REDIS_URL: servers.redis.url, DENTAL_REMINDER_LEAD: '2s', DENTAL_FOLLOW_UP_AFTER: '1s' },
      servers.database,
    );
    staff = await dentalClient(app, 'receptionist');
    patientId = await newPatient(staff, 'a');
  }, 60_000);
  afterAll(async () => {
    await quick?.shutdown();
    await app?.shutdown();
  });

  const book = (startsAt: number, headers: Record<string, string> = {}, client = staff) =>
    client.request('POST', '/dental/appointments', {
      body: {
        patientId,
        staffId: 1,
        startsAt: new Date(startsAt).toISOString(),
        reason: 'check-up',
      },
      headers,
    });

  it('booking schedules one reminder, 24 h before, as a delayed job', async () => {
    const startsAt = Date.now() + 48 * HOUR;
    const res = await book(startsAt);
    expect(res.status).toBe(201);
    expect(res.body.reminder).toEqual({
      state: 'scheduled',
      dueAt: new Date(startsAt - 24 * HOUR).toISOString(),
    });
    const due = await delayedDue(servers.redis, 'appointment-reminder', reminderJob(res.body.id));
    expectNear(due, startsAt - 24 * HOUR);
    const job = await servers.redis.cli(
      'HGET',
      `${P}:appointment-reminder:${reminderJob(res.body.id)}`,
      'data',
    );
    // only the id travels through Redis
    expect(JSON.parse(job)).toEqual({ appointmentId: res.body.id });
    const shown = await staff.get(`/dental/appointments/${res.body.id}/reminders`);
    expect(shown.body).toMatchObject({
      nextReminderAt: new Date(startsAt - 24 * HOUR).toISOString(),
      sent: [],
    });
  });

  it('moving the appointment moves its reminder; cancelling removes it', async () => {
    const startsAt = Date.now() + 30 * HOUR;
    const { body } = await book(startsAt);
    const id = body.id as number;
    const later = startsAt + 72 * HOUR;
    const moved = await staff.patch(`/dental/appointments/${id}`, {
      startsAt: new Date(later).toISOString(),
    });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({
      startsAt: new Date(later).toISOString(),
      reminder: { state: 'scheduled', dueAt: new Date(later - 24 * HOUR).toISOString() },
    });
    expectNear(
      await delayedDue(servers.redis, 'appointment-reminder', reminderJob(id)),
      later - 24 * HOUR,
    );
    // moved in place: the same single job
    const members = (
      await servers.redis.cli('ZRANGE', `${P}:appointment-reminder:delayed`, '0', '-1')
    )
      .split('\n')
      .filter((m) => m === reminderJob(id));
    expect(members).toHaveLength(1);
    // the day lists are fresh on both days
    const newDay = await staff.get(
      `/dental/appointments?date=${new Date(later).toISOString().slice(0, 10)}`,
    );
    expect(newDay.body.items.map((a: { id: number }) => a.id)).toContain(id);

    const cancelled = await staff.patch(`/dental/appointments/${id}`, { status: 'cancelled' });
    expect(cancelled.body.reminder).toEqual({ state: 'none', dueAt: null });
    expect(
      await delayedDue(servers.redis, 'appointment-reminder', reminderJob(id)),
    ).toBeUndefined();
    expect(await servers.redis.cli('EXISTS', `${P}:appointment-reminder:${reminderJob(id)}`)).toBe(
      '0',
    );
    const shown = await staff.get(`/dental/appointments/${id}/reminders`);
    expect(shown.body).toMatchObject({ status: 'cancelled', nextReminderAt: null, sent: [] });

    // booked again (status back to scheduled): a reminder again
    const again = await staff.patch(`/dental/appointments/${id}`, { status: 'scheduled' });
    expect(again.body.reminder.state).toBe('scheduled');
    expectNear(
      await delayedDue(servers.redis, 'appointment-reminder', reminderJob(id)),
      later - 24 * HOUR,
    );
    expect(await staff.get(`/dental/appointments/${id}/reminders`)).toMatchObject({
      body: { nextReminderAt: new Date(later - 24 * HOUR).toISOString() },
    });
  });

  it('a retried booking (same Idempotency-Key) books and enqueues once', async () => {
    const startsAt = Date.now() + 50 * HOUR;
    const key = `retry-${Date.now()}`;
    const first = await book(startsAt, { 'idempotency-key': key });
    const second = await book(startsAt, { 'idempotency-key': key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const day = await staff.get(
      `/dental/appointments?date=${new Date(startsAt).toISOString().slice(0, 10)}`,
    );
    expect(
      day.body.items.filter(
        (a: { patientId: number; startsAt: string }) =>
          a.patientId === patientId && a.startsAt === new Date(startsAt).toISOString(),
      ),
    ).toHaveLength(1);
    const delayed = (
      await servers.redis.cli('ZRANGE', `${P}:appointment-reminder:delayed`, '0', '-1')
    )
      .split('\n')
      .filter((m) => m === reminderJob(first.body.id));
    expect(delayed).toHaveLength(1);
    expect((await book(startsAt, { 'idempotency-key': 'short' })).status).toBe(400);
  });

  it('a booking closer than the lead time is reminded at once; the reminder shows on the route', async () => {
    const startsAt = Date.now() + 2 * HOUR;
    const res = await book(startsAt);
    expect(res.body.reminder.state).toBe('scheduled');
    const id = res.body.id as number;
    await waitUntil(
      async () => (await staff.get(`/dental/appointments/${id}/reminders`)).body.sent.length === 1,
      { what: 'the reminder to be sent' },
    );
    const shown = await staff.get(`/dental/appointments/${id}/reminders`);
    expect(shown.body.sent[0]).toMatchObject({
      channel: 'email',
      startsAt: new Date(startsAt).toISOString(),
    });
    expect(shown.body.sent[0].recipient).toMatch(/^reminder-a-/);
    // the patient's address was shown: the read is in the audit trail
    const admin = await dentalClient(app, 'admin');
    const trail = await admin.get(`/dental/audit?patientId=${patientId}`);
    expect(trail.body.items.map((r: { action: string }) => r.action)).toContain('reminders');
    expect(shown.body.nextReminderAt).toBeNull();
    // done: removed from Redis, so a later move can schedule the key again
    await waitUntil(
      async () =>
        (await servers.redis.cli('EXISTS', `${P}:appointment-reminder:${reminderJob(id)}`)) === '0',
    );
    const past = await book(Date.now() - HOUR);
    expect(past.body.reminder).toEqual({ state: 'none', dueAt: null });
  });

  it('a reminder fires at its due time (DENTAL_REMINDER_LEAD=2s), once, and a move after it reminds again', async () => {
    const desk = await dentalClient(quick, 'receptionist');
    const startsAt = Date.now() + 5_000;
    const res = await book(startsAt, {}, desk);
    const id = res.body.id as number;
    expect(res.body.reminder.dueAt).toBe(new Date(startsAt - 2_000).toISOString());
    expect((await desk.get(`/dental/appointments/${id}/reminders`)).body.sent).toEqual([]);
    await waitUntil(
      async () => (await desk.get(`/dental/appointments/${id}/reminders`)).body.sent.length === 1,
      { what: 'the reminder to fire', timeoutMs: 20_000 },
    );
    const sentAt = Date.parse(
      (await desk.get(`/dental/appointments/${id}/reminders`)).body.sent[0].sentAt,
    );
    expect(sentAt).toBeGreaterThanOrEqual(startsAt - 2_000 - 1_000);
    await waitUntil(
      async () =>
        (await servers.redis.cli('EXISTS', `${P}:appointment-reminder:${reminderJob(id)}`)) === '0',
    );
    const later = Date.now() + 4_000;
    const moved = await desk.patch(`/dental/appointments/${id}`, {
      startsAt: new Date(later).toISOString(),
    });
    expect(moved.body.reminder.state).toBe('scheduled');
    await waitUntil(
      async () => (await desk.get(`/dental/appointments/${id}/reminders`)).body.sent.length === 2,
      { what: 'the reminder of the new time', timeoutMs: 20_000 },
    );
  });

  it('a treatment schedules a follow-up-monitor job; its outcome shows on the patient', async () => {
    const clinician = await dentalClient(quick, 'hygienist');
    const lonely = await newPatient(staff, 'b');
    const made = await clinician.post(`/dental/patients/${lonely}/treatments`, {
      code: 'D1110',
      description: 'Cleaning',
      costCents: 9_000,
    });
    expect(made.status).toBe(201);
    expect(made.body.followUp.state).toBe('queued');
    const returning = await newPatient(staff, 'c');
    const treated = await clinician.post(`/dental/patients/${returning}/treatments`, {
      code: 'D1110',
      description: 'Cleaning',
      costCents: 9_000,
    });
    const next = await staff.post('/dental/appointments', {
      patientId: returning,
      staffId: 1,
      startsAt: new Date(Date.now() + 90 * 24 * HOUR).toISOString(),
      reason: 'check-up',
    });
    const outcome = async (patient: number) =>
      (await staff.get(`/dental/patients/${patient}/follow-ups`)).body.items[0];
    await waitUntil(async () => (await outcome(lonely))?.outcome != null, { timeoutMs: 20_000 });
    await waitUntil(async () => (await outcome(returning))?.outcome != null, { timeoutMs: 20_000 });
    expect(await outcome(lonely)).toMatchObject({
      treatmentId: made.body.treatment.id,
      outcome: 'call-patient',
      appointmentId: null,
    });
    expect(await outcome(returning)).toMatchObject({
      treatmentId: treated.body.treatment.id,
      outcome: 'booked',
      appointmentId: next.body.id,
    });
  });
});

describe('dental reminders while Redis is down', () => {
  it('a booking is answered with reminder state outbox; the job is in Redis, once, when it is back', async () => {
    const { redis, app } = await appOnOwnRedis();
    await redis.kill();
    // SESSION_ON_REDIS_ERROR=memory (the test default): a staff session on this instance
    const desk = await dentalClient(app, 'receptionist');
    const startsAt = Date.now() + 48 * HOUR;
    const body = {
      patientId: 3,
      staffId: 1,
      startsAt: new Date(startsAt).toISOString(),
      reason: 'check-up',
    };
    const res = await desk.request('POST', '/dental/appointments', {
      body,
      headers: { 'idempotency-key': 'outage-booking-1' },
    });
    expect(res.status).toBe(201);
    expect(res.body.reminder).toEqual({
      state: 'outbox',
      dueAt: new Date(startsAt - 24 * HOUR).toISOString(),
    });
    // the client's retry during the outage: the same booking, the same outbox entry
    const retry = await desk.request('POST', '/dental/appointments', {
      body,
      headers: { 'idempotency-key': 'outage-booking-1' },
    });
    expect(retry.body).toMatchObject({ id: res.body.id, reminder: { state: 'outbox' } });
    await redis.restart();
    await waitUntil(
      async () =>
        (await delayedDue(redis, 'appointment-reminder', reminderJob(res.body.id))) !== undefined,
      { what: 'the outbox replayed', timeoutMs: 30_000 },
    );
    expectNear(
      await delayedDue(redis, 'appointment-reminder', reminderJob(res.body.id)),
      startsAt - 24 * HOUR,
    );
    expect(await redis.cli('ZCARD', `${P}:appointment-reminder:delayed`)).toBe('1');
  }, 90_000);
});

describe('a jobs error reaching the app’s error handler', () => {
  it('a move while Redis is down is answered with the error’s own status: 503 E_JOBS_UNAVAILABLE, Retry-After', async () => {
    const { redis, app } = await appOnOwnRedis();
    await redis.kill();
    // SESSION_ON_REDIS_ERROR=memory (the test default): a staff session on this instance
    const desk = await dentalClient(app, 'receptionist');
    const startsAt = Date.now() + 48 * HOUR;
    const booked = await desk.post('/dental/appointments', {
      patientId: 3,
      staffId: 1,
      startsAt: new Date(startsAt).toISOString(),
      reason: 'check-up',
    });
    expect(booked.body.reminder.state).toBe('outbox');
    // moving its reminder needs Redis (the jobs package's JobsUnavailableError, status 503)
    const later = new Date(startsAt + 24 * HOUR).toISOString();
    const moved = await desk.patch(`/dental/appointments/${booked.body.id}`, { startsAt: later });
    expect(moved.status).toBe(503);
    expect(moved.body.error.code).toBe('E_JOBS_UNAVAILABLE');
    expect(Number(moved.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe('dental reminders with DISABLE_BACKGROUND_JOBS=true', () => {
  it('run in this process (state inline) and still show on the route', async () => {
    const { app } = await appOnOwnRedis({ DISABLE_BACKGROUND_JOBS: 'true' });
    const desk = await dentalClient(app, 'receptionist');
    const res = await desk.post('/dental/appointments', {
      patientId: 3,
      staffId: 1,
      startsAt: new Date(Date.now() + HOUR).toISOString(),
      reason: 'check-up',
    });
    expect(res.body.reminder.state).toBe('inline');
    await waitUntil(
      async () =>
        (await desk.get(`/dental/appointments/${res.body.id}/reminders`)).body.sent.length === 1,
    );
  });
});

describe('care background jobs (three instances, one Redis, one database)', () => {
  let redis: RedisServer;
  let apps: RunningServer[];
  let carer: Client;
  let clientId: number;

  beforeAll(async () => {
    redis = await startRedis();
    // The same settings everywhere: any instance's worker may run any job.
    const env = { REDIS_URL: redis.url, CARE_MEDICATION_REMINDER_LEAD: '24h' };
    const first = await startApp(env);
    apps = [
      first,
      ...(await Promise.all([startApp(env, first.database), startApp(env, first.database)])),
    ];
    carer = Client.for(apps[0]!, { useCookies: true });
    expect(
      (
        await carer.post('/care/auth/login', {
          email: 'carer@care.test',
          password: 'demo-password',
        })
      ).status,
    ).toBe(200);
    clientId = (await carer.get('/care/clients')).body.items[0].id;
  }, 60_000);
  afterAll(async () => {
    for (const app of [...(apps ?? [])].reverse()) await app.shutdown();
    await redis?.stop();
  });

  it('the daily adherence-check scheduler exists once with three instances started', async () => {
    const schedulers = async () =>
      (await redis.cli('ZRANGE', `${P}:adherence-check:repeat`, '0', '-1'))
        .split('\n')
        .filter(Boolean);
    await waitUntil(async () => (await schedulers()).length > 0, { what: 'the scheduler' });
    // every instance has stored it (each calls repeat at start): still one, with one next run
    await new Promise((r) => setTimeout(r, 500));
    expect(await schedulers()).toEqual(['adherence-check:daily']);
    expect(
      await redis.cli('HGET', `${P}:adherence-check:repeat:adherence-check:daily`, 'pattern'),
    ).toBe('0 6 * * *');
    expect(await redis.cli('ZCARD', `${P}:adherence-check:delayed`)).toBe('1');
  });

  it('a medication reminder fires, shows on the route and on the carer’s stream; adherence is checked', async () => {
    const stream = await openStream(carer.on(apps[2]!));
    await waitUntil(() => stream.events.some((e) => e.event === 'ready'));
    const created = await carer.post(`/care/clients/${clientId}/medications`, {
      name: 'Metformin',
      dose: '500 mg',
      times: ['00:00'],
    });
    expect(created.status).toBe(201);
    expect(created.body.reminder).toBe('queued');
    const medicationId = created.body.id as number;
    const nextDose = Date.parse(created.body.nextDoseAt);
    // the lead (24 h) covers the next dose: reminded at once
    await waitUntil(
      async () => {
        const { body } = await carer.get(`/care/clients/${clientId}/medications`);
        const m = body.items.find((x: { id: number }) => x.id === medicationId);
        return m?.doses.some((d: { remindedAt: string | null }) => d.remindedAt !== null);
      },
      { what: 'the dose reminder', timeoutMs: 20_000 },
    );
    await waitUntil(() => stream.alerts().some((a) => a.message.includes('Metformin 500 mg')));
    // the chain has queued the dose after it
    const following = nextDose + 24 * HOUR;
    await waitUntil(
      async () =>
        Math.abs(
          ((await delayedDue(
            redis,
            'medication-reminder',
            jobIdOf(`medication:${medicationId}:${following}`),
          )) ?? 0) -
            (following - 24 * HOUR),
        ) < 1_000,
      { what: 'the next dose’s reminder' },
    );

    const day = new Date().toISOString().slice(0, 10);
    type Adherence = { day: string; due: number; taken: number; missed: number; checkedAt: string };
    const todayRow = async () =>
      ((await carer.get(`/care/clients/${clientId}/adherence`)).body.items as Adherence[]).find(
        (i) => i.day === day,
      );
    /** Each check rewrites the day's row: this check's row is the one newer than the row seen
     * before it was asked for (a time window would also take the previous check's row). */
    const check = async () => {
      const seen = Date.parse((await todayRow())?.checkedAt ?? '1970-01-01T00:00:00.000Z');
      const queued = await carer.post(`/care/clients/${clientId}/adherence/check`, { day });
      expect(queued.status).toBe(202);
      let item: Adherence | undefined;
      await waitUntil(async () => {
        item = await todayRow();
        return item !== undefined && Date.parse(item.checkedAt) > seen;
      });
      return item!;
    };
    // today's 00:00 dose (the medication starts today) is due and not taken yet
    expect(await check()).toMatchObject({ due: 1, taken: 0, missed: 1 });
    // today's dose (without doseAt the latest dose is meant: tomorrow's, after 23:00)
    const today = `${day}T00:00:00.000Z`;
    const taken = await carer.post(`/care/clients/${clientId}/medications/${medicationId}/taken`, {
      doseAt: today,
    });
    expect(taken.status).toBe(200);
    expect(taken.body.doseAt).toBe(today);
    expect(await check()).toMatchObject({ due: 1, taken: 1, missed: 0, ratePercent: 100 });
    const wrong = await carer.post(`/care/clients/${clientId}/medications/${medicationId}/taken`, {
      doseAt: new Date(Date.now() - 7 * 60_000).toISOString(),
    });
    expect(wrong.status).toBe(422);
    await stream.close();
  });

  it('the daily tick checks yesterday for each client with medications and alerts missed doses', async () => {
    const stream = await openStream(carer.on(apps[1]!));
    await waitUntil(() => stream.events.some((e) => e.event === 'ready'));
    const yesterday = new Date(Date.now() - 24 * HOUR).toISOString().slice(0, 10);
    const created = await carer.post(`/care/clients/${clientId}/medications`, {
      name: 'Ramipril',
      dose: '5 mg',
      times: ['09:00'],
      startsOn: yesterday,
    });
    expect(created.status).toBe(201);
    // what the scheduler enqueues every day: a job without a client
    await apps[0]!.platform.jobs.add('adherence-check', {});
    await waitUntil(
      async () =>
        (await carer.get(`/care/clients/${clientId}/adherence`)).body.items.some(
          (i: { day: string }) => i.day === yesterday,
        ),
      { what: 'yesterday’s check', timeoutMs: 20_000 },
    );
    const items = (await carer.get(`/care/clients/${clientId}/adherence`)).body.items;
    // Metformin (from the test above) starts today; Ramipril's 09:00 dose yesterday was not taken
    expect(items.find((i: { day: string }) => i.day === yesterday)).toMatchObject({
      due: 1,
      taken: 0,
      missed: 1,
      ratePercent: 0,
    });
    await waitUntil(() =>
      stream
        .alerts()
        .some(
          (a) =>
            a.severity === 'warning' &&
            a.message === `Medication adherence ${yesterday}: 1 of 1 doses not recorded as taken`,
        ),
    );
    await stream.close();
  });

  it('appointment-status: due at the start time and completed, both pushed to the SSE stream', async () => {
    const stream = await openStream(carer.on(apps[1]!));
    await waitUntil(() => stream.events.some((e) => e.event === 'ready'));
    const created = await carer.post(`/care/clients/${clientId}/appointments`, {
      title: 'GP review',
      startsAt: new Date(Date.now() + 1_500).toISOString(),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'scheduled', statusJob: 'queued' });
    const id = created.body.id as number;
    await waitUntil(
      () =>
        stream
          .alerts()
          .some((a) => a.message.startsWith(`Appointment ${id} `) && a.message.endsWith(': due')),
      { what: 'the due update on the stream', timeoutMs: 20_000 },
    );
    const list = await carer.get(`/care/clients/${clientId}/appointments`);
    expect(list.body.items.find((a: { id: number }) => a.id === id).status).toBe('due');
    const done = await carer.patch(`/care/clients/${clientId}/appointments/${id}`, {
      status: 'completed',
    });
    expect(done.status).toBe(200);
    await waitUntil(() =>
      stream
        .alerts()
        .some(
          (a) => a.message.startsWith(`Appointment ${id} `) && a.message.endsWith(': completed'),
        ),
    );
    // a cancelled one never becomes due
    const later = await carer.post(`/care/clients/${clientId}/appointments`, {
      title: 'Pharmacy review',
      startsAt: new Date(Date.now() + HOUR).toISOString(),
    });
    const laterId = later.body.id as number;
    expect(
      await delayedDue(redis, 'appointment-status', jobIdOf(`care-appointment:${laterId}:due`)),
    ).toBeDefined();
    await carer.patch(`/care/clients/${clientId}/appointments/${laterId}`, { status: 'cancelled' });
    expect(
      await delayedDue(redis, 'appointment-status', jobIdOf(`care-appointment:${laterId}:due`)),
    ).toBeUndefined();
    await waitUntil(() =>
      stream
        .alerts()
        .some(
          (a) =>
            a.message.startsWith(`Appointment ${laterId} `) && a.message.endsWith(': cancelled'),
        ),
    );
    await stream.close();
  });
});

describe('the adherence scheduler after shutdown', () => {
  it('an instance that could not store it (Redis down) stops retrying when it shuts down', async () => {
    const redis = await startRedis();
    const log = logCapture();
    await redis.kill();
    const app = await startApp(
      { REDIS_URL: redis.url, LOG_LEVEL: 'info', SEED_PATIENTS: '50', SEED_APPOINTMENTS: '100' },
      undefined,
      { logStream: log.stream },
    );
    const attempts: string[] = [];
    try {
      await waitUntil(
        () =>
          log.lines.some((l) =>
            String(l.msg).startsWith('adherence-check scheduler not stored yet'),
          ),
        { what: 'the scheduler to wait for Redis', timeoutMs: 20_000 },
      );
    } finally {
      await app.shutdown();
      await redis.stop();
    }
    // every attempt to store it is a `repeat` on the queue (an error event while Redis is away)
    const off = app.platform.jobs.events.on((e) => {
      if (e.operation === 'repeat') attempts.push(`${e.type} ${e.name}`);
    });
    const closedAt = log.lines.length;
    // its retry was due 30 s after the failed attempt: none runs, nothing is logged
    await new Promise((r) => setTimeout(r, 31_000));
    off();
    expect(attempts).toEqual([]);
    expect(log.lines.slice(closedAt)).toEqual([]);
  }, 90_000);
});
