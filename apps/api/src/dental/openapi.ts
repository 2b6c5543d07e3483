import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { idempotencyHeaders, replayedHeaders } from '../idempotency.js';
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
import { registerDentalAuthPaths } from './auth-openapi.js';
import { DENTAL_PERMISSIONS } from './permissions.js';
import {
  Appointment,
  AppointmentChange,
  AppointmentDay,
  AppointmentReminders,
  appointmentBody,
  appointmentPatchBody,
  BookedAppointment,
  CreatedTreatment,
  DashboardStats,
  dateQuery,
  FollowUpList,
  Invoice,
  InvoiceList,
  idParams,
  PaidInvoice,
  Patient,
  PatientPage,
  pageQuery,
  patientBody,
  patientPatchBody,
  StaffList,
  TreatmentList,
  treatmentBody,
} from './schemas.js';

const INVALID_ID = 'Invalid id (`E_API_VALIDATION_FAILED`)';
const cachedOk = (description: string, schema: Parameters<typeof ok>[1]): ResponseConfig =>
  ok(description, schema, { headers: headers.xCache });
const jsonBody = (schema: Parameters<typeof json>[0]) => ({
  required: true,
  content: json(schema),
});

export type DentalPath = (
  route: RouteConfig & {
    public?: boolean;
    /** Another reason for a 503 than the rate-limit store's (a background job Redis could not take). */
    unavailable?: string;
  },
) => void;

const JOBS_UNAVAILABLE =
  'Redis could not take the background job and no outbox accepted it (`E_JOBS_UNAVAILABLE`, `Retry-After`); the write itself is done: retry (with the same Idempotency-Key when booking)';

/**
 * Registers a `/dental` route: behind the global and `api` limiters and, unless `public`, the
 * staff session (401) and the roles DENTAL_PERMISSIONS lists for it (403, named in the text).
 */
export function dentalPathRegistrar(registry: OpenAPIRegistry): DentalPath {
  return ({ public: open = false, unavailable, ...route }) => {
    const key = `${route.method.toUpperCase()} ${route.path.replace(/\{(\w+)\}/g, ':$1')}`;
    const roles = (DENTAL_PERMISSIONS as Record<string, readonly string[]>)[key];
    if (!open && !roles) throw new Error(`dental OpenAPI: ${key} is not in DENTAL_PERMISSIONS`);
    const safe = route.method === 'get' || route.method === 'head';
    registry.registerPath({
      ...route,
      path: `/dental${route.path}`,
      tags: ['dental'],
      ...(open ? {} : { security: [{ [SECURITY.dentalCookie]: [] }] }),
      ...(roles ? { description: `Roles: ${roles.join(', ')}.` } : {}),
      responses: {
        ...route.responses,
        ...(open
          ? {}
          : errors({
              401: 'No staff session: sign in with POST /dental/auth/login (`E_API_UNAUTHENTICATED`)',
              403: safe
                ? `Signed in with a role not allowed here (\`E_API_FORBIDDEN\`); allowed: ${roles?.join(', ')}`
                : `Signed in with a role not allowed here (\`E_API_FORBIDDEN\`; allowed: ${roles?.join(', ')}), or no valid X-CSRF-Token (\`E_API_CSRF_INVALID\`)`,
            })),
        ...errors(
          unavailable
            ? { ...RATE_LIMITED, 503: `${unavailable}, or ${RATE_LIMITED[503]}` }
            : RATE_LIMITED,
        ),
      },
    });
  };
}

/** Every route of `dentalRoutes`, mounted at `/dental` behind the global and `api` limiters. */
export function registerDentalPaths(registry: OpenAPIRegistry): void {
  const path = dentalPathRegistrar(registry);
  registerDentalAuthPaths(path);

  path({
    method: 'get',
    path: '/patients',
    summary: 'One page of patients, by id (cached 10 min)',
    request: { query: pageQuery },
    responses: {
      200: cachedOk('The page', PatientPage),
      ...errors({ 400: 'Invalid page or limit (`E_API_VALIDATION_FAILED`)' }),
    },
  });
  path({
    method: 'post',
    path: '/patients',
    summary: 'Register a patient (e-mail stored lower-case)',
    request: { body: jsonBody(patientBody) },
    responses: {
      201: ok('Created', Patient),
      ...errors({
        400: INVALID_BODY,
        409: 'A patient with this e-mail exists (`E_API_CONFLICT`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'get',
    path: '/patients/{id}',
    summary: 'One patient (cached 30 min, misses too)',
    request: { params: idParams },
    responses: {
      200: cachedOk('The patient', Patient),
      ...errors({ 400: INVALID_ID, 404: 'No such patient (`E_API_NOT_FOUND`)' }),
    },
  });
  path({
    method: 'patch',
    path: '/patients/{id}',
    summary: 'Change some of a patient’s fields',
    request: { params: idParams, body: jsonBody(patientPatchBody) },
    responses: {
      200: ok('The updated patient', Patient),
      ...errors({
        400: `${INVALID_BODY}; also an empty body or an invalid id`,
        404: 'No such patient (`E_API_NOT_FOUND`)',
        409: 'Another patient has this e-mail (`E_API_CONFLICT`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'delete',
    path: '/patients/{id}',
    summary: 'Delete a patient with their appointments, treatments and invoices',
    request: { params: idParams },
    responses: {
      204: noContent('Deleted'),
      ...errors({ 400: INVALID_ID, 404: 'No such patient (`E_API_NOT_FOUND`)' }),
    },
  });
  path({
    method: 'get',
    path: '/patients/{id}/treatments',
    summary: 'A patient’s treatments, newest first (an unknown patient has none)',
    request: { params: idParams },
    responses: { 200: cachedOk('The treatments', TreatmentList), ...errors({ 400: INVALID_ID }) },
  });
  path({
    method: 'post',
    path: '/patients/{id}/treatments',
    summary:
      'Record a treatment; opens an invoice for its cost and schedules a follow-up-monitor job (DENTAL_FOLLOW_UP_AFTER later)',
    unavailable: JOBS_UNAVAILABLE,
    request: { params: idParams, body: jsonBody(treatmentBody) },
    responses: {
      201: ok('The treatment and its invoice', CreatedTreatment),
      ...errors({
        400: `${INVALID_BODY}; also an invalid id`,
        404: 'No such patient (`E_API_NOT_FOUND`)',
        ...BODY_LIMITS,
        422: 'appointmentId names no appointment (`E_API_INVALID_REFERENCE`)',
      }),
    },
  });
  path({
    method: 'get',
    path: '/patients/{id}/follow-ups',
    summary:
      'Follow-ups after the patient’s treatments: due, and once the follow-up-monitor job ran, booked or call-patient',
    request: { params: idParams },
    responses: { 200: ok('The follow-ups', FollowUpList), ...errors({ 400: INVALID_ID }) },
  });
  path({
    method: 'get',
    path: '/patients/{id}/invoices',
    summary: 'A patient’s invoices, newest first (an unknown patient has none)',
    request: { params: idParams },
    responses: { 200: cachedOk('The invoices', InvoiceList), ...errors({ 400: INVALID_ID }) },
  });
  path({
    method: 'get',
    path: '/invoices/{id}',
    summary: 'One invoice',
    request: { params: idParams },
    responses: {
      200: cachedOk('The invoice', Invoice),
      ...errors({ 400: INVALID_ID, 404: 'No such invoice (`E_API_NOT_FOUND`)' }),
    },
  });
  path({
    method: 'post',
    path: '/invoices/{id}/pay',
    summary: 'Mark an open invoice paid',
    request: { params: idParams },
    responses: {
      200: ok('The paid invoice', PaidInvoice),
      ...errors({
        400: INVALID_ID,
        404: 'No such invoice (`E_API_NOT_FOUND`)',
        409: 'The invoice is not open (`E_API_INVOICE_NOT_OPEN`)',
      }),
    },
  });
  path({
    method: 'get',
    path: '/appointments',
    summary: 'Appointments on one UTC day, by start time',
    request: { query: dateQuery },
    responses: {
      200: cachedOk('The day', AppointmentDay),
      ...errors({ 400: 'Missing or invalid date (`E_API_VALIDATION_FAILED`)' }),
    },
  });
  path({
    method: 'get',
    path: '/appointments/today',
    summary: 'Appointments today (UTC)',
    responses: { 200: cachedOk('Today', AppointmentDay) },
  });
  path({
    method: 'get',
    path: '/appointments/{id}',
    summary: 'One appointment',
    request: { params: idParams },
    responses: {
      200: cachedOk('The appointment', Appointment),
      ...errors({ 400: INVALID_ID, 404: 'No such appointment (`E_API_NOT_FOUND`)' }),
    },
  });
  path({
    method: 'post',
    path: '/appointments',
    summary:
      'Book an appointment; schedules its appointment-reminder job (DENTAL_REMINDER_LEAD before it, at once when closer, none once started)',
    unavailable: JOBS_UNAVAILABLE,
    request: { body: jsonBody(appointmentBody), headers: idempotencyHeaders },
    responses: {
      201: ok(
        'Booked (or, with an Idempotency-Key used before for the same request within 24 h, the first booking again, `Idempotent-Replayed: true`, nothing booked or enqueued twice)',
        BookedAppointment,
        { headers: replayedHeaders },
      ),
      ...errors({
        400: `${INVALID_BODY}; also an Idempotency-Key of the wrong form`,
        ...BODY_LIMITS,
        409: 'A request with this Idempotency-Key is still running (`E_API_IDEMPOTENCY_KEY_IN_PROGRESS`, `Retry-After: 1`)',
        422: 'patientId or staffId names no record (`E_API_INVALID_REFERENCE`); or this Idempotency-Key was used for a different request (`E_API_IDEMPOTENCY_KEY_REUSED`: another booking or another caller)',
      }),
    },
  });
  path({
    method: 'get',
    path: '/appointments/{id}/reminders',
    summary: 'The reminders sent for an appointment and the next one planned',
    request: { params: idParams },
    responses: {
      200: ok('The reminders', AppointmentReminders),
      ...errors({ 400: INVALID_ID, 404: 'No such appointment (`E_API_NOT_FOUND`)' }),
    },
  });
  path({
    method: 'patch',
    path: '/appointments/{id}',
    summary:
      'Change an appointment’s status or move it; the reminder job is moved, re-planned or cancelled with it',
    unavailable: JOBS_UNAVAILABLE,
    request: { params: idParams, body: jsonBody(appointmentPatchBody) },
    responses: {
      200: ok('The appointment after the change, and its reminder', AppointmentChange),
      ...errors({
        400: `${INVALID_BODY}; also an invalid id`,
        404: 'No such appointment (`E_API_NOT_FOUND`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'get',
    path: '/staff',
    summary: 'All staff (whole-response cache with ETag, 24 h)',
    request: { headers: z.object({ 'if-none-match': z.string().optional() }) },
    responses: {
      200: ok('The staff', StaffList, { headers: headers.xCacheResponse }),
      304: { description: 'If-None-Match matched the ETag', headers: headers.xCacheResponse },
    },
  });
  path({
    method: 'get',
    path: '/dashboard/stats',
    summary: 'Clinic aggregates (cached 5 min, served stale up to 1 h if the database fails)',
    responses: { 200: cachedOk('The stats', DashboardStats) },
  });
}
