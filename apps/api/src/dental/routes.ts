import type { Cache } from '@redis-toolkit/cache';
import { cacheResponse } from '@redis-toolkit/cache/express';
import type { SessionMiddleware } from '@redis-toolkit/session';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { cached, invalidate } from '../cached.js';
import {
  fingerprintOf,
  type IdempotencyStore,
  idempotencyKeyOf,
  idempotent,
  keyInProgress,
  keyReused,
  markReplayed,
} from '../idempotency.js';
import { body, HttpError, params, query } from '../validate.js';
import type { AuditAction, AuditRepository } from './audit.js';
import { addDentalAuthRoutes, allow, requireStaff, staffOf } from './auth.js';
import { auditQuery } from './auth-schemas.js';
import type { DentalFollowUps } from './follow-ups.js';
import { CacheKeys, DentalTtl, Tags } from './keys.js';
import type { DentalReminders } from './reminders.js';
import type { AppointmentInput, DentalRepository } from './repository.js';
import {
  appointmentBody,
  appointmentPatchBody,
  dateQuery,
  idParams,
  pageQuery,
  patientBody,
  patientPatchBody,
  treatmentBody,
} from './schemas.js';

const utcDate = (value: Date | string) => new Date(value).toISOString().slice(0, 10);
const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

export interface DentalDeps {
  repo: DentalRepository;
  /** Absent with `CACHE_ENABLED=false`. */
  cache?: Cache | undefined;
  audit: AuditRepository;
  /** The dental staff sessions (cookie `dental.sid`). */
  sessions: SessionMiddleware;
  authLimiter: RequestHandler;
  /** The appointment-reminder jobs (reminders.ts). */
  reminders: DentalReminders;
  /** The follow-up-monitor jobs after treatments (follow-ups.ts). */
  followUps: DentalFollowUps;
  /** The Idempotency-Key answers of bookings (src/idempotency.ts). */
  idempotency: IdempotencyStore;
}

/**
 * Dental clinic: every read goes through the cache with the guide's TTLs, every write awaits the
 * invalidation of exactly the tags it made stale before it answers, so the next read (on any
 * instance) sees the change.
 */
export function dentalRoutes({
  repo,
  cache,
  audit,
  sessions,
  authLimiter,
  reminders,
  followUps,
  idempotency,
}: DentalDeps): Router & { prefetch: RequestHandler } {
  const router = Router();
  const invalidateTags = (tags: string[]) => invalidate(cache, tags);
  /** Recorded before the answer leaves, for cache hits and misses alike. */
  const audited = (req: Request, action: AuditAction, patientIds: readonly number[]) => {
    const staff = staffOf(req);
    return audit.record(
      { staffId: staff.id, staffRole: staff.role, action, requestId: String(req.id ?? '') },
      patientIds,
    );
  };

  router.use(sessions);
  addDentalAuthRoutes(router, { repo, sessions, authLimiter });
  // Everything below needs a session, unknown paths included (401 before 404).
  router.use(requireStaff);

  // ---- staff (response cache with ETag) and dashboard ----
  // First after the session check: the hot cached reads pass no other route on their way.
  const staffResponses = cache
    ? cacheResponse({ cache, ttl: DentalTtl.staff, tags: [Tags.staff] })
    : undefined;
  const staffCache: RequestHandler =
    staffResponses ??
    ((_req, res, next) => {
      res.setHeader('X-Cache', 'BYPASS');
      next();
    });
  router.get('/staff', allow('GET /staff'), staffCache, async (_req, res) => {
    res.json({ items: await repo.listStaff() });
  });

  router.get('/dashboard/stats', allow('GET /dashboard/stats'), async (_req, res) => {
    const stats = await cached(
      res,
      cache,
      CacheKeys.dashboardStats(),
      () => repo.dashboardStats(),
      {
        ttl: DentalTtl.dashboard,
        // Serve the last stats for up to an hour if the database fails, and run the expensive
        // aggregate once across instances when it expires (distributed lock).
        grace: '1h',
        lock: true,
        tags: [Tags.dashboard],
      },
    );
    res.json(stats);
  });

  // ---- patients ----
  router.get('/patients', allow('GET /patients'), async (req, res) => {
    const { page, limit } = query(req, pageQuery);
    const result = await cached(
      res,
      cache,
      CacheKeys.patients(page, limit),
      () => repo.listPatients(page, limit),
      {
        ttl: DentalTtl.patients,
        tags: [Tags.patientList],
      },
    );
    await audited(
      req,
      'patient-list',
      result.items.map((p) => p.id),
    );
    res.json(result);
  });

  router.get('/patients/:id', allow('GET /patients/:id'), async (req, res) => {
    const { id } = params(req, idParams);
    const patient = await cached(
      res,
      cache,
      CacheKeys.patient(id),
      // null is cached too (a negative entry, dropped by the create's tag invalidation): a loader
      // that throws would let the cache serve a tag-invalidated entry as stale-if-error.
      async () => (await repo.getPatient(id)) ?? null,
      { ttl: DentalTtl.patient, tags: [Tags.patient(id)] },
    );
    if (!patient) throw notFound('Patient');
    await audited(req, 'patient', [id]);
    res.json(patient);
  });

  router.post('/patients', allow('POST /patients'), async (req, res) => {
    const input = body(req, patientBody);
    const patient = await repo.createPatient(input);
    // A new patient changes list pages and the patient count, and replaces a cached "not found"
    // for its id.
    await invalidateTags([Tags.patientList, Tags.patient(patient.id), Tags.dashboard]);
    res.status(201).json(patient);
  });

  router.patch('/patients/:id', allow('PATCH /patients/:id'), async (req, res) => {
    const { id } = params(req, idParams);
    const input = body(req, patientPatchBody);
    const patient = await repo.updatePatient(id, input);
    if (!patient) throw notFound('Patient');
    await invalidateTags([Tags.patientList, Tags.patient(id)]);
    res.json(patient);
  });

  router.delete('/patients/:id', allow('DELETE /patients/:id'), async (req, res) => {
    const { id } = params(req, idParams);
    if (!(await repo.deletePatient(id))) throw notFound('Patient');
    // Cascades to appointments (unknown dates), treatments and invoices.
    await invalidateTags([
      Tags.patientList,
      Tags.patient(id),
      Tags.patientTreatments(id),
      Tags.patientInvoices(id),
      Tags.patientAppointments(id),
      Tags.appointmentLists,
      Tags.dashboard,
    ]);
    res.status(204).end();
  });

  // ---- treatments and invoices ----
  router.get(
    '/patients/:id/treatments',
    allow('GET /patients/:id/treatments'),
    async (req, res) => {
      const { id } = params(req, idParams);
      const list = await cached(res, cache, CacheKeys.treatments(id), () => repo.treatmentsOf(id), {
        ttl: DentalTtl.records,
        tags: [Tags.patientTreatments(id)],
      });
      await audited(req, 'treatments', [id]);
      res.json({ items: list });
    },
  );

  router.post(
    '/patients/:id/treatments',
    allow('POST /patients/:id/treatments'),
    async (req, res) => {
      const { id } = params(req, idParams);
      const input = body(req, treatmentBody);
      if (!(await repo.getPatient(id))) throw notFound('Patient');
      const created = await repo.createTreatment({ patientId: id, ...input });
      await invalidateTags([
        Tags.patientTreatments(id),
        Tags.patientInvoices(id),
        Tags.invoice(created.invoice.id),
        Tags.dashboard,
      ]);
      const followUp = await followUps.plan(created.treatment);
      res.status(201).json({ ...created, followUp });
    },
  );

  router.get(
    '/patients/:id/follow-ups',
    allow('GET /patients/:id/follow-ups'),
    async (req, res) => {
      const { id } = params(req, idParams);
      const items = await followUps.of(id);
      if (items.length > 0) await audited(req, 'follow-ups', [id]);
      res.json({ items });
    },
  );

  router.get('/patients/:id/invoices', allow('GET /patients/:id/invoices'), async (req, res) => {
    const { id } = params(req, idParams);
    const list = await cached(res, cache, CacheKeys.invoices(id), () => repo.invoicesOf(id), {
      ttl: DentalTtl.records,
      tags: [Tags.patientInvoices(id)],
    });
    await audited(req, 'invoices', [id]);
    res.json({ items: list });
  });

  router.get('/invoices/:id', allow('GET /invoices/:id'), async (req, res) => {
    const { id } = params(req, idParams);
    const invoice = await cached(
      res,
      cache,
      CacheKeys.invoice(id),
      async () => (await repo.getInvoice(id)) ?? null,
      { ttl: DentalTtl.records, tags: [Tags.invoice(id)] },
    );
    if (!invoice) throw notFound('Invoice');
    await audited(req, 'invoice', [invoice.patientId]);
    res.json(invoice);
  });

  router.post('/invoices/:id/pay', allow('POST /invoices/:id/pay'), async (req, res) => {
    const { id } = params(req, idParams);
    const paid = await repo.payInvoice(id);
    if (!paid) {
      if (await repo.getInvoice(id))
        throw new HttpError(409, 'invoice_not_open', 'Invoice is not open');
      throw notFound('Invoice');
    }
    await invalidateTags([Tags.invoice(id), Tags.patientInvoices(paid.patientId), Tags.dashboard]);
    res.json(paid);
  });

  // ---- appointments ----
  const byDate = async (res: Response, date: string, key: string) => {
    const items = await cached(res, cache, key, () => repo.appointmentsOn(date), {
      ttl: DentalTtl.appointments,
      tags: [Tags.appointmentsOn(date), Tags.appointmentLists],
    });
    res.json({ date, items });
  };
  router.get('/appointments', allow('GET /appointments'), async (req, res) => {
    const { date } = query(req, dateQuery);
    await byDate(res, date, CacheKeys.appointments(date));
  });
  router.get('/appointments/today', allow('GET /appointments/today'), async (_req, res) => {
    const today = utcDate(new Date());
    await byDate(res, today, CacheKeys.todayAppointments(today));
  });

  router.get('/appointments/:id', allow('GET /appointments/:id'), async (req, res) => {
    const { id } = params(req, idParams);
    // get + set by hand: the patient's tag is only known once the row is loaded.
    const key = CacheKeys.appointment(id);
    const hit = cache ? await cache.getWithMeta(key) : undefined;
    if (hit?.value) {
      res.setHeader('X-Cache', hit.source === 'stale' ? 'STALE' : 'HIT').json(hit.value);
      return;
    }
    const appointment = await repo.getAppointment(id);
    if (!appointment) throw notFound('Appointment');
    await cache?.set(key, appointment, {
      ttl: DentalTtl.appointments,
      tags: [Tags.appointment(id), Tags.patientAppointments(appointment.patientId)],
    });
    res.setHeader('X-Cache', cache ? 'MISS' : 'BYPASS').json(appointment);
  });

  /**
   * What makes two bookings under one Idempotency-Key the same request: the caller and the
   * booking as validated (defaults filled in, the start as one instant).
   */
  const bookingText = (
    caller: number,
    { patientId, staffId, startsAt, durationMin, reason }: AppointmentInput,
  ) =>
    JSON.stringify([
      caller,
      patientId,
      staffId,
      new Date(startsAt).toISOString(),
      durationMin,
      reason,
    ]);
  const bookingFingerprint = (req: Request) => {
    const parsed = appointmentBody.safeParse(req.body);
    const caller = staffOf(req).id;
    if (!parsed.success) return JSON.stringify([caller, req.body ?? null]);
    return bookingText(caller, parsed.data);
  };
  // The one Idempotency-Key contract (src/idempotency.ts): a retry within 24 h gets the first 201
  // again without running this route; another request under the key is a 422, a copy while the
  // first runs a 409. The row carries the key too, for a retry after an error answer (a 503 from
  // the reminder, say): it finds the booking and plans its reminder again under the same job key.
  router.post(
    '/appointments',
    allow('POST /appointments'),
    idempotent(idempotency, { scope: 'dental-booking', fingerprint: bookingFingerprint }),
    async (req, res) => {
      const input = body(req, appointmentBody);
      const retryKey = idempotencyKeyOf(req);
      const booked = await repo.createAppointment(
        input,
        retryKey === undefined
          ? undefined
          : { key: retryKey, fingerprint: fingerprintOf(bookingText(staffOf(req).id, input)) },
      );
      if (booked.kind === 'other-request') throw keyReused();
      if (booked.kind === 'in-progress') throw keyInProgress();
      const { appointment } = booked;
      if (booked.kind === 'created')
        await invalidateTags([Tags.appointmentsOn(utcDate(appointment.startsAt)), Tags.dashboard]);
      // A retry plans again from the row as it is now: same job key, so nothing is enqueued twice.
      const reminder = await reminders.plan(appointment, false);
      if (booked.kind === 'existing') markReplayed(res);
      res.status(201).json({ ...appointment, reminder });
    },
  );

  router.get(
    '/appointments/:id/reminders',
    allow('GET /appointments/:id/reminders'),
    async (req, res) => {
      const { id } = params(req, idParams);
      const found = await reminders.of(id);
      if (!found) throw notFound('Appointment');
      await audited(req, 'reminders', [found.patientId]);
      res.json(found.view);
    },
  );

  router.patch('/appointments/:id', allow('PATCH /appointments/:id'), async (req, res) => {
    const { id } = params(req, idParams);
    const change = body(req, appointmentPatchBody);
    const before = change.startsAt === undefined ? undefined : await repo.getAppointment(id);
    const updated = await repo.updateAppointment(id, change);
    if (!updated) throw notFound('Appointment');
    await invalidateTags([
      Tags.appointment(id),
      Tags.appointmentsOn(utcDate(updated.startsAt)),
      // a move also changes the list of the day it left
      ...(before ? [Tags.appointmentsOn(utcDate(before.startsAt))] : []),
      Tags.dashboard,
    ]);
    const reminder = await reminders.plan(updated, true);
    res.json({ ...updated, reminder });
  });

  router.get('/audit', allow('GET /audit'), async (req, res) => {
    res.json({ items: await audit.list(query(req, auditQuery)) });
  });

  // The session package's own answer for its errors (503 E_SESSION_UNAVAILABLE + Retry-After).
  router.use(sessions.errorHandler);
  // Started by app.ts with the limit decision and the session load: the cached staff list's read
  // leaves in the same write, so a HIT costs one round trip in all. The route still decides.
  const prefetch: RequestHandler = (req, res, next) => {
    if (staffResponses && req.path === '/staff') staffResponses.prefetch(req, res, next);
    else next();
  };
  return Object.assign(router, { prefetch });
}
