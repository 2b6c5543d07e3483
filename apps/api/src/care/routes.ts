import { randomBytes } from 'node:crypto';
import { type Cache, defineKeys } from '@redis-toolkit/cache';
import type { SessionMiddleware } from '@redis-toolkit/session';
import { type Request, type RequestHandler, Router } from 'express';
import { cached, invalidate } from '../cached.js';
import { verifyPassword } from '../db/password.js';
import type { Metrics } from '../metrics.js';
import { body, HttpError, params } from '../validate.js';
import type { CareAdherence } from './adherence.js';
import type { AlertHub } from './alerts.js';
import type { CareAppointments } from './appointments.js';
import { utcDay } from './doses.js';
import type { CareMedication } from './medication.js';
import type { Presence } from './presence.js';
import type { CareRepository } from './repository.js';
import {
  adherenceCheckBody,
  alertBody,
  appointmentParams,
  careAppointmentBody,
  careAppointmentPatchBody,
  careLevelBody,
  clientParams,
  loginBody,
  medicationBody,
  medicationParams,
  sessionParams,
  takenBody,
} from './schemas.js';

/** `clients:carer:{id}` (5 min) under the cache's `care:` prefix. */
export const CareKeys = defineKeys('clients', { ofCarer: (carerId: number) => ['carer', carerId] });
export const CareTags = { clientsOf: (carerId: number) => `carer:${carerId}:clients` } as const;

/** Extra fields this app keeps in a care session, next to the package's reserved `auth`. */
interface CareSessionFields {
  carerName?: string;
  refreshToken?: string;
}
const extras = (req: Request) => req.session as unknown as CareSessionFields;

export interface CareDeps {
  repo: CareRepository;
  sessions: SessionMiddleware;
  authLimiter: RequestHandler;
  /** Absent with `CACHE_ENABLED=false`. */
  cache?: Cache | undefined;
  presence: Presence;
  alerts: AlertHub;
  metrics: Metrics;
  /** Medications and their medication-reminder jobs (medication.ts). */
  medication: CareMedication;
  /** The daily adherence-check results (adherence.ts). */
  adherence: CareAdherence;
  /** Client appointments and their appointment-status jobs (appointments.ts). */
  appointments: CareAppointments;
}

/**
 * Home care: cookie sessions (7 days) through the session package, the auth limiter on login,
 * per-device listing and revocation, cached client lists, presence and alerts over pub/sub + SSE.
 */
export function careRoutes({
  repo,
  sessions,
  authLimiter,
  cache,
  presence,
  alerts,
  metrics,
  medication,
  adherence,
  appointments,
}: CareDeps): Router {
  const router = Router();
  router.use(sessions);

  const carerId = (req: Request): number => {
    const userId = req.session?.auth?.userId;
    if (!userId)
      throw new HttpError(401, 'unauthenticated', 'Sign in first: POST /care/auth/login');
    return Number(userId);
  };
  const requireLogin: RequestHandler = (req, _res, next) => {
    carerId(req);
    next();
  };

  router.post('/auth/login', authLimiter, async (req, res) => {
    const { email, password } = body(req, loginBody);
    const carer = await repo.findCarerByEmail(email);
    if (!carer || !(await verifyPassword(password, carer.passwordHash))) {
      throw new HttpError(401, 'invalid_credentials', 'Wrong e-mail or password');
    }
    // New session id (no fixation), recorded in the carer's device index.
    await sessions.login(req, { id: String(carer.id) });
    extras(req).carerName = carer.name;
    // A refresh token kept server-side in the session (never sent to the browser).
    extras(req).refreshToken = randomBytes(32).toString('base64url');
    res.json({ carer: { id: carer.id, name: carer.name, email: carer.email } });
  });

  router.post('/auth/logout', requireLogin, async (req, res) => {
    await sessions.logout(req, res);
    metrics.sessionRevocations.inc({ reason: 'logout' });
    res.status(204).end();
  });

  router.get('/me', requireLogin, (req, res) => {
    const auth = req.session.auth;
    res.json({
      carer: { id: carerId(req), name: extras(req).carerName ?? null },
      session: {
        createdAt: auth ? new Date(auth.createdAt).toISOString() : null,
        expiresAt: req.session.cookie.expires ?? null,
      },
    });
  });

  router.get('/sessions', requireLogin, async (req, res) => {
    const list = await sessions.listUserSessions(String(carerId(req)), { current: req.sessionID });
    res.json({ items: list });
  });

  router.delete('/sessions/:id', requireLogin, async (req, res) => {
    const { id: handle } = params(req, sessionParams);
    const found = await sessions.revokeSession(String(carerId(req)), handle);
    if (!found) throw new HttpError(404, 'not_found', 'No such session for this carer');
    metrics.sessionRevocations.inc({ reason: 'revoked' });
    res.status(204).end();
  });

  router.get('/clients', requireLogin, async (req, res) => {
    const carer = carerId(req);
    const items = await cached(res, cache, CareKeys.ofCarer(carer), () => repo.clientsOf(carer), {
      ttl: '5m',
      tags: [CareTags.clientsOf(carer)],
    });
    res.json({ items });
  });

  router.patch('/clients/:id', requireLogin, async (req, res) => {
    const carer = carerId(req);
    const { id: clientId } = params(req, clientParams);
    const { careLevel } = body(req, careLevelBody);
    const updated = await repo.updateCareLevel(carer, clientId, careLevel);
    if (!updated) throw new HttpError(404, 'not_found', 'No such client for this carer');
    await invalidate(cache, [CareTags.clientsOf(carer)]);
    res.json(updated);
  });

  router.post('/presence/heartbeat', requireLogin, async (req, res) => {
    const beat = await presence.heartbeat(carerId(req));
    res.json({
      carerId: carerId(req),
      lastSeen: new Date(beat.lastSeen).toISOString(),
      ttlSeconds: 300,
      source: beat.source,
    });
  });

  router.get('/presence/online', requireLogin, async (_req, res) => {
    res.json(await presence.online());
  });

  router.post('/alerts', requireLogin, async (req, res) => {
    const carer = carerId(req);
    const input = body(req, alertBody);
    if (!(await repo.clientOf(carer, input.clientId)))
      throw new HttpError(404, 'not_found', 'No such client for this carer');
    const row = await repo.createAlert({ ...input, carerId: carer });
    const alert = { ...row, createdAt: new Date(row.createdAt).toISOString() };
    const delivery = await alerts.publish(alert);
    res.status(201).json({ ...alert, delivery });
  });

  router.get('/alerts/stream', requireLogin, (req, res) => {
    alerts.open(carerId(req), res);
  });

  // ---- medication, adherence and appointments (background jobs) ----
  /** The carer's client id from the path, or 404 (another carer's client is not found either). */
  const ownClient = async (req: Request, id: number): Promise<number> => {
    if (!(await repo.clientOf(carerId(req), id)))
      throw new HttpError(404, 'not_found', 'No such client for this carer');
    return id;
  };

  router.get('/clients/:id/medications', requireLogin, async (req, res) => {
    const clientId = await ownClient(req, params(req, clientParams).id);
    res.json({ items: await medication.of(clientId) });
  });

  router.post('/clients/:id/medications', requireLogin, async (req, res) => {
    const clientId = await ownClient(req, params(req, clientParams).id);
    const input = body(req, medicationBody);
    res.status(201).json(await medication.create(clientId, input));
  });

  router.post('/clients/:id/medications/:medicationId/taken', requireLogin, async (req, res) => {
    const { id, medicationId } = params(req, medicationParams);
    const clientId = await ownClient(req, id);
    const { doseAt } = body(req, takenBody);
    const result = await medication.taken(clientId, medicationId, carerId(req), doseAt);
    if (!result.ok) {
      if (result.reason === 'no-medication')
        throw new HttpError(404, 'not_found', 'No such medication for this client');
      throw new HttpError(
        422,
        'not_a_dose',
        'doseAt is not one of this medication’s dose times (or is more than an hour ahead)',
      );
    }
    res.json(result.dose);
  });

  router.get('/clients/:id/adherence', requireLogin, async (req, res) => {
    const clientId = await ownClient(req, params(req, clientParams).id);
    res.json({ clientId, items: await adherence.of(clientId) });
  });

  router.post('/clients/:id/adherence/check', requireLogin, async (req, res) => {
    const clientId = await ownClient(req, params(req, clientParams).id);
    const day = body(req, adherenceCheckBody).day ?? utcDay(Date.now());
    const { state } = await adherence.check(clientId, day);
    res.status(202).json({ clientId, day, state });
  });

  router.get('/clients/:id/appointments', requireLogin, async (req, res) => {
    const clientId = await ownClient(req, params(req, clientParams).id);
    res.json({ items: await appointments.list(clientId) });
  });

  router.post('/clients/:id/appointments', requireLogin, async (req, res) => {
    const clientId = await ownClient(req, params(req, clientParams).id);
    const input = body(req, careAppointmentBody);
    res.status(201).json(await appointments.create(clientId, input));
  });

  router.patch('/clients/:id/appointments/:appointmentId', requireLogin, async (req, res) => {
    const { id, appointmentId } = params(req, appointmentParams);
    const clientId = await ownClient(req, id);
    const { status } = body(req, careAppointmentPatchBody);
    const updated = await appointments.setStatus(clientId, appointmentId, status);
    if (!updated) throw new HttpError(404, 'not_found', 'No such appointment for this client');
    res.json(updated);
  });

  router.use(sessions.errorHandler);
  // The session package's own answer for its errors raised in these routes: 503
  // E_SESSION_UNAVAILABLE + Retry-After (SESSION_ON_REDIS_ERROR=deny), 400 for bad input.
  router.use(sessions.errorHandler);
  return router;
}
