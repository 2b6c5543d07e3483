/** Hand-written OpenAPI 3.1 description of the reference API, served at `/openapi.json`. */

type Schema = Record<string, unknown>;
const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Schema) => ({ 'application/json': { schema } });
const ok = (description: string, schema: Schema = { type: 'object' }) => ({
  description,
  content: json(schema),
});
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      { description: httpText[c] ?? 'Error', content: json(ref('Error')) },
    ]),
  );
const httpText: Record<number, string> = {
  400: 'Invalid input (the message names the field)',
  401: 'Not signed in, bad credentials or revoked token',
  403: 'Not allowed for this role',
  404: 'Not found',
  409: 'Conflict',
  422: 'Refers to something that does not exist',
  429: 'Rate limited',
  503: 'Session store unavailable',
};
const idParam = (name = 'id') => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'integer', minimum: 1 },
});
const cacheHeader = {
  'X-Cache': { description: 'HIT, MISS or BYPASS (caching off)', schema: { type: 'string' } },
};
const cachedOk = (description: string, schema: Schema = { type: 'object' }) => ({
  ...ok(description, schema),
  headers: cacheHeader,
});
const bearer = [{ bearer: [] }];
const cookie = [{ careSession: [] }];

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'redis-toolkit reference API',
    version: '0.0.0',
    description:
      'Dental clinic, school and home-care use cases on @redis-toolkit packages. Errors are `{ error: { code, message } }`; every response carries `x-request-id`.',
  },
  servers: [{ url: 'http://localhost:3000' }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      careSession: { type: 'apiKey', in: 'cookie', name: 'care.sid' },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
      PatientInput: {
        type: 'object',
        required: ['firstName', 'lastName', 'email', 'phone', 'dateOfBirth'],
        properties: {
          firstName: { type: 'string' },
          lastName: { type: 'string' },
          email: { type: 'string', format: 'email' },
          phone: { type: 'string' },
          dateOfBirth: { type: 'string', format: 'date' },
        },
      },
      Patient: {
        allOf: [
          { $ref: '#/components/schemas/PatientInput' },
          {
            type: 'object',
            properties: {
              id: { type: 'integer' },
              createdAt: { type: 'string' },
              updatedAt: { type: 'string' },
            },
          },
        ],
      },
      Credentials: {
        type: 'object',
        required: ['email', 'password'],
        properties: { email: { type: 'string', format: 'email' }, password: { type: 'string' } },
      },
      TokenPair: {
        type: 'object',
        properties: {
          accessToken: { type: 'string' },
          refreshToken: { type: 'string' },
          tokenType: { const: 'Bearer' },
          expiresIn: { type: 'integer' },
        },
      },
    },
  },
  paths: {
    '/health': { get: { summary: 'Liveness', responses: { 200: ok('Process answers') } } },
    '/ready': {
      get: {
        summary: 'Readiness: 503 when the database is down, 200 `degraded` when only Redis is',
        responses: { 200: ok('ok or degraded'), 503: ok('database unavailable') },
      },
    },
    '/metrics': {
      get: {
        summary: 'Prometheus metrics',
        responses: { 200: { description: 'text/plain exposition format' } },
      },
    },
    '/openapi.json': { get: { summary: 'This document', responses: { 200: ok('OpenAPI 3.1') } } },

    '/dental/patients': {
      get: {
        summary: 'Patients, paginated (cached 10 min)',
        parameters: [
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, default: 1 } },
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 },
          },
        ],
        responses: { 200: cachedOk('A page'), ...errors(400, 429) },
      },
      post: {
        summary: 'Create a patient (invalidates list pages and dashboard stats)',
        requestBody: { required: true, content: json(ref('PatientInput')) },
        responses: { 201: ok('Created', ref('Patient')), ...errors(400, 409) },
      },
    },
    '/dental/patients/{id}': {
      parameters: [idParam()],
      get: {
        summary: 'One patient (cached 10 min)',
        responses: { 200: cachedOk('Patient', ref('Patient')), ...errors(400, 404) },
      },
      patch: {
        summary: 'Update a patient',
        requestBody: { content: json(ref('PatientInput')) },
        responses: { 200: ok('Updated', ref('Patient')), ...errors(400, 404, 409) },
      },
      delete: {
        summary: 'Delete a patient (cascades)',
        responses: { 204: { description: 'Deleted' }, ...errors(400, 404) },
      },
    },
    '/dental/patients/{id}/treatments': {
      parameters: [idParam()],
      get: {
        summary: "A patient's treatments (cached 10 min)",
        responses: { 200: cachedOk('List'), ...errors(400) },
      },
      post: {
        summary: 'Record a treatment and open its invoice',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['code', 'description', 'costCents'],
            properties: {
              appointmentId: { type: ['integer', 'null'] },
              code: { type: 'string', pattern: '^D\\d{4}$' },
              description: { type: 'string' },
              costCents: { type: 'integer' },
            },
          }),
        },
        responses: { 201: ok('Treatment and invoice'), ...errors(400, 404, 422) },
      },
    },
    '/dental/patients/{id}/invoices': {
      parameters: [idParam()],
      get: { summary: "A patient's invoices (cached)", responses: { 200: cachedOk('List') } },
    },
    '/dental/invoices/{id}': {
      parameters: [idParam()],
      get: {
        summary: 'One invoice (cached)',
        responses: { 200: cachedOk('Invoice'), ...errors(400, 404) },
      },
    },
    '/dental/invoices/{id}/pay': {
      parameters: [idParam()],
      post: {
        summary: 'Mark an open invoice paid',
        responses: { 200: ok('Paid'), ...errors(400, 404, 409) },
      },
    },
    '/dental/appointments': {
      get: {
        summary: 'Appointments on a date (cached 5 min)',
        parameters: [
          { name: 'date', in: 'query', required: true, schema: { type: 'string', format: 'date' } },
        ],
        responses: { 200: cachedOk('List'), ...errors(400) },
      },
      post: {
        summary: 'Book an appointment',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['patientId', 'staffId', 'startsAt', 'reason'],
            properties: {
              patientId: { type: 'integer' },
              staffId: { type: 'integer' },
              startsAt: { type: 'string', format: 'date-time' },
              durationMin: { type: 'integer', default: 30 },
              reason: { type: 'string' },
            },
          }),
        },
        responses: { 201: ok('Booked'), ...errors(400, 422) },
      },
    },
    '/dental/appointments/today': {
      get: {
        summary: "Today's appointments (UTC, cached 5 min)",
        responses: { 200: cachedOk('List') },
      },
    },
    '/dental/appointments/{id}': {
      parameters: [idParam()],
      get: {
        summary: 'One appointment (cached 5 min)',
        responses: { 200: cachedOk('Appointment'), ...errors(400, 404) },
      },
      patch: {
        summary: 'Change status',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['status'],
            properties: { status: { enum: ['scheduled', 'completed', 'cancelled'] } },
          }),
        },
        responses: { 200: ok('Updated'), ...errors(400, 404) },
      },
    },
    '/dental/staff': {
      get: {
        summary: 'Staff (response cache 30 min, ETag)',
        responses: { 200: cachedOk('List'), 304: { description: 'Not modified' } },
      },
    },
    '/dental/dashboard/stats': {
      get: {
        summary: 'Expensive aggregates (cached 5 min, stale-if-error 1 h)',
        responses: { 200: cachedOk('Stats') },
      },
    },

    '/school/auth/login': {
      post: {
        summary: 'Sign in (5 failed attempts per 15 min)',
        requestBody: { required: true, content: json(ref('Credentials')) },
        responses: { 200: ok('Tokens', ref('TokenPair')), ...errors(400, 401, 429) },
      },
    },
    '/school/auth/refresh': {
      post: {
        summary:
          'Rotate: the refresh token is single-use; reusing one revokes every token of the user',
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['refreshToken'],
            properties: { refreshToken: { type: 'string' } },
          }),
        },
        responses: { 200: ok('New pair', ref('TokenPair')), ...errors(400, 401) },
      },
    },
    '/school/auth/logout': {
      post: {
        summary: 'Revoke this access token (and the refresh token if sent)',
        security: bearer,
        requestBody: {
          content: json({ type: 'object', properties: { refreshToken: { type: 'string' } } }),
        },
        responses: { 204: { description: 'Revoked' }, ...errors(401) },
      },
    },
    '/school/auth/logout-all': {
      post: {
        summary: 'Revoke every token of this user issued until now',
        security: bearer,
        responses: { 200: ok('Cut-off'), ...errors(401) },
      },
    },
    '/school/me': {
      get: {
        summary: 'The signed-in user and permissions',
        security: bearer,
        responses: { 200: ok('User'), ...errors(401) },
      },
    },
    '/school/roles/{name}': {
      parameters: [
        {
          name: 'name',
          in: 'path',
          required: true,
          schema: {
            enum: ['super_admin', 'school_admin', 'teacher', 'staff', 'student', 'parent'],
          },
        },
      ],
      get: {
        summary: 'A role (cached 1 h as role:{name})',
        security: bearer,
        responses: { 200: cachedOk('Role'), ...errors(400, 401) },
      },
    },
    '/school/roles/{name}/permissions': {
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
      put: {
        summary: 'Replace permissions (super_admin); invalidates the role and its dashboards',
        security: bearer,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['permissions'],
            properties: { permissions: { type: 'array', items: { type: 'string' } } },
          }),
        },
        responses: { 200: ok('Role'), ...errors(400, 401, 403) },
      },
    },
    '/school/dashboard': {
      get: {
        summary: 'Dashboard of the caller’s role (cached 5 min as dashboard:{role}:{id})',
        security: bearer,
        responses: { 200: cachedOk('Dashboard'), ...errors(401) },
      },
    },
    '/school/grades': {
      post: {
        summary: 'Record a grade (teacher of the class or admin); invalidates affected dashboards',
        security: bearer,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['studentId', 'classId', 'score'],
            properties: {
              studentId: { type: 'integer' },
              classId: { type: 'integer' },
              score: { type: 'integer', minimum: 0, maximum: 100 },
            },
          }),
        },
        responses: { 201: ok('Grade'), ...errors(400, 401, 403, 404, 422) },
      },
    },

    '/care/auth/login': {
      post: {
        summary: 'Sign in: sets the care.sid cookie (7-day session; 5 failed attempts per 15 min)',
        requestBody: { required: true, content: json(ref('Credentials')) },
        responses: { 200: ok('Carer'), ...errors(400, 401, 429, 503) },
      },
    },
    '/care/auth/logout': {
      post: {
        summary: 'End this session',
        security: cookie,
        responses: { 204: { description: 'Signed out' }, ...errors(401) },
      },
    },
    '/care/me': {
      get: {
        summary: 'The signed-in carer',
        security: cookie,
        responses: { 200: ok('Carer'), ...errors(401) },
      },
    },
    '/care/sessions': {
      get: {
        summary: "The carer's devices (sessions)",
        security: cookie,
        responses: { 200: ok('List'), ...errors(401) },
      },
    },
    '/care/sessions/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      delete: {
        summary: 'Revoke one device',
        security: cookie,
        responses: { 204: { description: 'Revoked' }, ...errors(400, 401, 404) },
      },
    },
    '/care/clients': {
      get: {
        summary: "The carer's clients (cached 5 min)",
        security: cookie,
        responses: { 200: cachedOk('List'), ...errors(401) },
      },
    },
    '/care/clients/{id}': {
      parameters: [idParam()],
      patch: {
        summary: 'Change care level (invalidates the client list)',
        security: cookie,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['careLevel'],
            properties: { careLevel: { enum: ['low', 'medium', 'high'] } },
          }),
        },
        responses: { 200: ok('Client'), ...errors(400, 401, 404) },
      },
    },
    '/care/presence/heartbeat': {
      post: {
        summary: 'I am online (5-minute TTL)',
        security: cookie,
        responses: { 200: ok('Last seen'), ...errors(401) },
      },
    },
    '/care/presence/online': {
      get: {
        summary: 'Carers with a heartbeat in the last 5 minutes',
        security: cookie,
        responses: { 200: ok('List'), ...errors(401) },
      },
    },
    '/care/alerts': {
      post: {
        summary: 'Raise an alert about one of my clients (pub/sub to every instance)',
        security: cookie,
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['clientId', 'severity', 'message'],
            properties: {
              clientId: { type: 'integer' },
              severity: { enum: ['info', 'warning', 'critical'] },
              message: { type: 'string' },
            },
          }),
        },
        responses: { 201: ok('Alert'), ...errors(400, 401, 404) },
      },
    },
    '/care/alerts/stream': {
      get: {
        summary: 'Server-Sent Events: `alert` events for my clients, from any instance',
        security: cookie,
        responses: { 200: { description: 'text/event-stream' }, ...errors(401) },
      },
    },
  },
} as const;
