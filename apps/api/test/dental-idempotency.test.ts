import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { type Client, dentalClient, startApp } from './helpers.js';
import { sharedServers } from './shared-servers.js';

const HOUR = 3_600_000;
const P = 'api:jobs';
const reminderJob = (appointmentId: number) =>
  `k-${encodeURIComponent(`appointment:${appointmentId}`)}`;

/** POST /dental/appointments under the one Idempotency-Key contract of src/idempotency.ts. */
describe('dental booking: Idempotency-Key', () => {
  const servers = sharedServers({ patients: 50, appointments: 100 });
  let app: RunningServer;
  let desk: Client;
  let dentist: Client;
  let n = 0;

  beforeAll(async () => {
    app = await startApp({ REDIS_URL: servers.redis.url }, servers.database);
    desk = await dentalClient(app, 'receptionist');
    dentist = await dentalClient(app, 'dentist');
  }, 60_000);
  afterAll(async () => {
    await app?.shutdown();
  });

  const key = () => `dental-booking-${Date.now()}-${++n}`;
  /** A start time of its own (at :17 s, unlike the seed's): the day list tells what was booked. */
  const slot = () => Math.floor((Date.now() + 48 * HOUR) / 60_000) * 60_000 + ++n * 60_000 + 17_000;
  const booking = (startsAt: number) => ({
    patientId: 3,
    staffId: 1,
    startsAt: new Date(startsAt).toISOString(),
    reason: 'check-up',
  });
  const book = (body: object, retryKey: string, client = desk) =>
    client.request('POST', '/dental/appointments', {
      body,
      headers: { 'idempotency-key': retryKey },
    });
  /** The bookings at `startsAt` (the day list, fresh after every write). */
  const bookedAt = async (startsAt: number) => {
    const day = new Date(startsAt).toISOString().slice(0, 10);
    const { body } = await desk.get(`/dental/appointments?date=${day}`);
    return (body.items as { id: number; startsAt: string }[]).filter(
      (a) => a.startsAt === new Date(startsAt).toISOString(),
    );
  };
  const reminderJobs = async (appointmentId: number) =>
    (await servers.redis.cli('ZRANGE', `${P}:appointment-reminder:delayed`, '0', '-1'))
      .split('\n')
      .filter((m) => m === reminderJob(appointmentId)).length;

  it('an identical retry gets the same 201 again, replayed: one booking, one reminder job', async () => {
    const startsAt = slot();
    const k = key();
    const first = await book(booking(startsAt), k);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(first.body.reminder.state).toBe('scheduled');
    // the same booking written differently (durationMin's default spelled out, another offset)
    const same = {
      ...booking(startsAt),
      durationMin: 30,
      startsAt: new Date(startsAt).toISOString().replace('Z', '+00:00'),
    };
    for (const body of [booking(startsAt), same]) {
      const retry = await book(body, k);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(retry.body).toEqual(first.body);
    }
    expect((await bookedAt(startsAt)).map((a) => a.id)).toEqual([first.body.id]);
    expect(await reminderJobs(first.body.id)).toBe(1);
  });

  it('the same key for another booking or from another caller is a 422 and books nothing', async () => {
    const startsAt = slot();
    const k = key();
    const first = await book(booking(startsAt), k);
    expect(first.status).toBe(201);
    const other = slot();
    const reused = await book(booking(other), k);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('E_API_IDEMPOTENCY_KEY_REUSED');
    expect(await bookedAt(other)).toEqual([]);
    const otherReason = await book({ ...booking(startsAt), reason: 'whitening' }, k);
    expect(otherReason.status).toBe(422);
    const otherCaller = await book(booking(startsAt), k, dentist);
    expect(otherCaller.status).toBe(422);
    expect(otherCaller.body.error.code).toBe('E_API_IDEMPOTENCY_KEY_REUSED');
    expect((await bookedAt(startsAt)).map((a) => a.id)).toEqual([first.body.id]);
    // the first request still replays
    expect((await book(booking(startsAt), k)).body.id).toBe(first.body.id);
  });

  it('copies sent at once: one booking; the others replay it or are told it still runs (409)', async () => {
    const startsAt = slot();
    const k = key();
    const replies = await Promise.all([1, 2, 3].map(() => book(booking(startsAt), k)));
    const booked = await bookedAt(startsAt);
    expect(booked).toHaveLength(1);
    for (const reply of replies) {
      if (reply.status === 409) {
        expect(reply.body.error.code).toBe('E_API_IDEMPOTENCY_KEY_IN_PROGRESS');
        expect(reply.headers.get('retry-after')).toBe('1');
      } else {
        expect(reply.status).toBe(201);
        expect(reply.body.id).toBe(booked[0]!.id);
      }
    }
    expect(replies.filter((r) => r.status === 201).length).toBeGreaterThanOrEqual(1);
    expect(await reminderJobs(booked[0]!.id)).toBe(1);
  });

  it('after an error answer (none is kept) the row decides: the same request finds it, another is a 422', async () => {
    const startsAt = slot();
    const k = key();
    const first = await book(booking(startsAt), k);
    expect(first.status).toBe(201);
    // what an error answer after the insert leaves (a 503 from the reminder, say): the row with
    // its key, no kept answer
    await servers.database.db
      .deleteFrom('idempotency_keys')
      .where('scope', '=', 'dental-booking')
      .where('key', '=', k)
      .execute();
    const other = await book(booking(slot()), k);
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe('E_API_IDEMPOTENCY_KEY_REUSED');
    const retry = await book(booking(startsAt), k);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.id).toBe(first.body.id);
    expect((await bookedAt(startsAt)).map((a) => a.id)).toEqual([first.body.id]);
    expect(await reminderJobs(first.body.id)).toBe(1);
  });

  it('a key older than 24 h no longer names its booking: the same key books anew', async () => {
    const startsAt = slot();
    const k = key();
    const first = await book(booking(startsAt), k);
    expect(first.status).toBe(201);
    const dayAgo = new Date(Date.now() - 24 * HOUR - 60_000);
    await servers.database.db
      .updateTable('idempotency_keys')
      .set({ created_at: dayAgo })
      .where('scope', '=', 'dental-booking')
      .where('key', '=', k)
      .execute();
    await servers.database.db
      .updateTable('appointments')
      .set({ idempotency_at: dayAgo })
      .where('id', '=', first.body.id)
      .execute();
    const later = slot();
    const again = await book(booking(later), k);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(again.body.id).not.toBe(first.body.id);
    expect((await bookedAt(later)).map((a) => a.id)).toEqual([again.body.id]);
    expect((await bookedAt(startsAt)).map((a) => a.id)).toEqual([first.body.id]);
    // and the new booking is what the key names now
    expect((await book(booking(later), k)).body.id).toBe(again.body.id);
  });
});
