import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import {
  BODY_LIMITS,
  errors,
  headers,
  INVALID_BODY,
  json,
  noContent,
  ok,
  RATE_LIMITED,
  SECURITY,
} from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import {
  AdherenceCheckQueued,
  AdherenceReport,
  adherenceCheckBody,
  alertBody,
  appointmentParams,
  CareAppointmentChange,
  CareAppointmentList,
  CareClient,
  CareClientList,
  CareLoginResult,
  CareMe,
  CreatedAlert,
  CreatedMedication,
  careAppointmentBody,
  careAppointmentPatchBody,
  careLevelBody,
  clientParams,
  Heartbeat,
  loginBody,
  MedicationList,
  medicationBody,
  medicationParams,
  OnlineCarers,
  SessionList,
  sessionParams,
  TakenDose,
  takenBody,
} from './schemas.js';

const jsonBody = (schema: Parameters<typeof json>[0]) => ({
  required: true,
  content: json(schema),
});
const SIGN_IN = 'Not signed in (`E_API_UNAUTHENTICATED`): POST /care/auth/login first';
const NO_CLIENT = 'No such client for this carer (`E_API_NOT_FOUND`)';
const JOBS_UNAVAILABLE =
  'Redis could not take the background job and no outbox accepted it (`E_JOBS_UNAVAILABLE`, `Retry-After`)';

/** Every route of `careRoutes`, mounted at `/care` behind the global and `api` limiters. */
export function registerCarePaths(registry: OpenAPIRegistry): void {
  const path = ({
    signedIn,
    unavailable,
    ...route
  }: RouteConfig & { signedIn: boolean; unavailable?: string }) =>
    registry.registerPath({
      ...route,
      path: `/care${route.path}`,
      tags: ['care'],
      ...(signedIn ? { security: [{ [SECURITY.cookie]: [] }] } : {}),
      responses: {
        ...route.responses,
        // security/csrf.ts: a signed-in write without the token from GET /csrf-token
        ...(signedIn && route.method !== 'get'
          ? errors({ 403: 'No valid X-CSRF-Token for this session (`E_API_CSRF_INVALID`)' })
          : {}),
        ...errors({
          ...RATE_LIMITED,
          503: `Session store unreachable with SESSION_ON_REDIS_ERROR=deny (\`E_SESSION_UNAVAILABLE\`), ${unavailable ? `${unavailable}, ` : ''}or ${RATE_LIMITED[503]}`,
        }),
      },
    });

  path({
    method: 'post',
    path: '/auth/login',
    summary: 'Sign in: a new session (7 days) in the `care.sid` cookie',
    signedIn: false,
    request: { body: jsonBody(loginBody) },
    responses: {
      200: ok('Signed in', CareLoginResult, {
        headers: z.object({
          'Set-Cookie': z.string().openapi({ description: 'care.sid session cookie (HttpOnly)' }),
        }),
      }),
      ...errors({
        400: INVALID_BODY,
        401: 'Wrong e-mail or password (`E_API_INVALID_CREDENTIALS`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'post',
    path: '/auth/logout',
    summary: 'End this session and clear the cookie',
    signedIn: true,
    responses: { 204: noContent('Signed out'), ...errors({ 401: SIGN_IN }) },
  });
  path({
    method: 'get',
    path: '/me',
    summary: 'The signed-in carer and this session',
    signedIn: true,
    responses: { 200: ok('The carer', CareMe), ...errors({ 401: SIGN_IN }) },
  });
  path({
    method: 'get',
    path: '/sessions',
    summary: 'This carer’s sessions (devices), most recent first',
    signedIn: true,
    responses: { 200: ok('The sessions', SessionList), ...errors({ 401: SIGN_IN }) },
  });
  path({
    method: 'delete',
    path: '/sessions/{id}',
    summary: 'Sign one of this carer’s devices out',
    signedIn: true,
    request: { params: sessionParams },
    responses: {
      204: noContent('Revoked'),
      ...errors({
        400: 'Not a session id (`E_API_VALIDATION_FAILED`)',
        401: SIGN_IN,
        404: 'No such session for this carer (`E_API_NOT_FOUND`)',
      }),
    },
  });
  path({
    method: 'get',
    path: '/clients',
    summary: 'This carer’s clients (cached 5 min)',
    signedIn: true,
    responses: {
      200: ok('The clients', CareClientList, { headers: headers.xCache }),
      ...errors({ 401: SIGN_IN }),
    },
  });
  path({
    method: 'patch',
    path: '/clients/{id}',
    summary: 'Change a client’s care level',
    signedIn: true,
    request: { params: clientParams, body: jsonBody(careLevelBody) },
    responses: {
      200: ok('The updated client', CareClient),
      ...errors({
        400: `${INVALID_BODY}; also an invalid id`,
        401: SIGN_IN,
        404: 'No such client for this carer (`E_API_NOT_FOUND`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'post',
    path: '/presence/heartbeat',
    summary: 'Mark this carer online for 5 minutes',
    signedIn: true,
    responses: { 200: ok('Recorded', Heartbeat), ...errors({ 401: SIGN_IN }) },
  });
  path({
    method: 'get',
    path: '/presence/online',
    summary: 'Carers with a heartbeat in the last 5 minutes, most recent first',
    signedIn: true,
    responses: { 200: ok('Online carers', OnlineCarers), ...errors({ 401: SIGN_IN }) },
  });
  path({
    method: 'post',
    path: '/alerts',
    summary: 'Raise an alert about one of this carer’s clients; pushed to their open streams',
    signedIn: true,
    request: { body: jsonBody(alertBody) },
    responses: {
      201: ok('Raised', CreatedAlert),
      ...errors({
        400: INVALID_BODY,
        401: SIGN_IN,
        404: 'No such client for this carer (`E_API_NOT_FOUND`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'get',
    path: '/alerts/stream',
    summary: 'Server-sent events: `ready`, then one `alert` event per alert, `shutdown` on drain',
    signedIn: true,
    responses: {
      200: {
        description: 'An SSE stream that stays open',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      ...errors({ 401: SIGN_IN }),
    },
  });

  registerCareJobPaths(path);
}

type CarePath = (route: RouteConfig & { signedIn: boolean; unavailable?: string }) => void;

/** Medication, adherence and appointment routes: the ones whose work runs as background jobs. */
function registerCareJobPaths(path: CarePath): void {
  const clientErrors = (extra: Parameters<typeof errors>[0] = {}) =>
    errors({
      400: 'Invalid id (`E_API_VALIDATION_FAILED`)',
      401: SIGN_IN,
      404: NO_CLIENT,
      ...extra,
    });
  path({
    method: 'get',
    path: '/clients/{id}/medications',
    summary: 'A client’s medications, next dose, and the last week’s doses (reminded, taken)',
    signedIn: true,
    request: { params: clientParams },
    responses: { 200: ok('The medications', MedicationList), ...clientErrors() },
  });
  path({
    method: 'post',
    path: '/clients/{id}/medications',
    summary:
      'Add a daily medication; schedules the medication-reminder job of its next dose (CARE_MEDICATION_REMINDER_LEAD before it)',
    signedIn: true,
    unavailable: JOBS_UNAVAILABLE,
    request: { params: clientParams, body: jsonBody(medicationBody) },
    responses: {
      201: ok('Added', CreatedMedication),
      ...clientErrors({ 400: `${INVALID_BODY}; also an invalid id`, ...BODY_LIMITS }),
    },
  });
  path({
    method: 'post',
    path: '/clients/{id}/medications/{medicationId}/taken',
    summary: 'Record a dose as taken (counted by the adherence check)',
    signedIn: true,
    request: { params: medicationParams, body: jsonBody(takenBody) },
    responses: {
      200: ok('Recorded (a second record keeps the first time)', TakenDose),
      ...clientErrors({
        400: `${INVALID_BODY}; also an invalid id`,
        404: `${NO_CLIENT}, or no such medication for this client`,
        ...BODY_LIMITS,
        422: 'doseAt is not one of the medication’s dose times, or more than an hour ahead (`E_API_NOT_A_DOSE`)',
      }),
    },
  });
  path({
    method: 'get',
    path: '/clients/{id}/adherence',
    summary: 'Results of the adherence-check job, one per UTC day, newest first (31 days)',
    signedIn: true,
    request: { params: clientParams },
    responses: { 200: ok('The results', AdherenceReport), ...clientErrors() },
  });
  path({
    method: 'post',
    path: '/clients/{id}/adherence/check',
    summary: 'Run the adherence-check job for one day now (the daily scheduler checks yesterday)',
    signedIn: true,
    unavailable: JOBS_UNAVAILABLE,
    request: { params: clientParams, body: { required: false, content: json(adherenceCheckBody) } },
    responses: {
      202: ok('Enqueued: the result appears on GET …/adherence', AdherenceCheckQueued),
      ...clientErrors({ 400: `${INVALID_BODY}; also an invalid id`, ...BODY_LIMITS }),
    },
  });
  path({
    method: 'get',
    path: '/clients/{id}/appointments',
    summary: 'A client’s appointments, latest first',
    signedIn: true,
    request: { params: clientParams },
    responses: { 200: ok('The appointments', CareAppointmentList), ...clientErrors() },
  });
  path({
    method: 'post',
    path: '/clients/{id}/appointments',
    summary:
      'Add an appointment; an appointment-status job marks it due at its start and alerts the carer’s stream',
    signedIn: true,
    unavailable: JOBS_UNAVAILABLE,
    request: { params: clientParams, body: jsonBody(careAppointmentBody) },
    responses: {
      201: ok('Added', CareAppointmentChange),
      ...clientErrors({ 400: `${INVALID_BODY}; also an invalid id`, ...BODY_LIMITS }),
    },
  });
  path({
    method: 'patch',
    path: '/clients/{id}/appointments/{appointmentId}',
    summary:
      'Complete or cancel an appointment; the change is pushed to the carer’s alert stream by an appointment-status job',
    signedIn: true,
    unavailable: JOBS_UNAVAILABLE,
    request: { params: appointmentParams, body: jsonBody(careAppointmentPatchBody) },
    responses: {
      200: ok('Changed', CareAppointmentChange),
      ...clientErrors({
        400: `${INVALID_BODY}; also an invalid id`,
        404: `${NO_CLIENT}, or no such appointment for this client`,
        ...BODY_LIMITS,
      }),
    },
  });
}
