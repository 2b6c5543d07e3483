import type { RunningServer } from '../src/index.js';
import { Client, dentalClient } from './helpers.js';

type Auth = 'none' | 'school' | 'care' | 'dental';

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** `:id`-style segments are replaced by hostile values; the sample value is used otherwise. */
  path: string;
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: Record<string, unknown>;
  auth: Auth;
}

/** Every route that reads a body, params or a query, with one valid sample of each. */
const ROUTES: Route[] = [
  { method: 'GET', path: '/dental/patients', query: { page: '1', limit: '10' }, auth: 'dental' },
  { method: 'GET', path: '/dental/patients/:id', params: { id: '1' }, auth: 'dental' },
  {
    method: 'POST',
    path: '/dental/patients',
    body: {
      firstName: 'A',
      lastName: 'B',
      email: 'hostile@example.test',
      phone: '+1-555-0101',
      dateOfBirth: '1980-01-01',
    },
    auth: 'dental',
  },
  {
    method: 'PATCH',
    path: '/dental/patients/:id',
    params: { id: '2' },
    body: { lastName: 'B' },
    auth: 'dental',
  },
  { method: 'GET', path: '/dental/patients/:id/treatments', params: { id: '1' }, auth: 'dental' },
  {
    method: 'POST',
    path: '/dental/patients/:id/treatments',
    params: { id: '1' },
    body: { appointmentId: null, code: 'D1110', description: 'Clean', costCents: 100 },
    auth: 'dental',
  },
  { method: 'GET', path: '/dental/patients/:id/invoices', params: { id: '1' }, auth: 'dental' },
  { method: 'GET', path: '/dental/invoices/:id', params: { id: '1' }, auth: 'dental' },
  { method: 'GET', path: '/dental/appointments', query: { date: '2026-01-05' }, auth: 'dental' },
  { method: 'GET', path: '/dental/appointments/:id', params: { id: '1' }, auth: 'dental' },
  {
    method: 'POST',
    path: '/dental/appointments',
    body: {
      patientId: 1,
      staffId: 1,
      startsAt: '2026-12-01T10:00:00Z',
      durationMin: 30,
      reason: 'x',
    },
    auth: 'dental',
  },
  {
    method: 'PATCH',
    path: '/dental/appointments/:id',
    params: { id: '1' },
    body: { status: 'scheduled' },
    auth: 'dental',
  },
  {
    method: 'POST',
    path: '/school/auth/login',
    body: { email: 'teacher@school.test', password: 'demo-password' },
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/school/auth/refresh',
    body: { refreshToken: 'x'.repeat(20) },
    auth: 'none',
  },
  { method: 'GET', path: '/school/roles/:name', params: { name: 'teacher' }, auth: 'school' },
  {
    method: 'PUT',
    path: '/school/roles/:name/permissions',
    params: { name: 'staff' },
    body: { permissions: ['users:read', 'classes:read'] },
    auth: 'school',
  },
  {
    method: 'POST',
    path: '/school/grades',
    body: { studentId: 1, classId: 1, score: 50 },
    auth: 'school',
  },
  {
    method: 'POST',
    path: '/school/auth/logout',
    body: { refreshToken: 'x'.repeat(20) },
    auth: 'school',
  },
  {
    method: 'POST',
    path: '/care/auth/login',
    body: { email: 'carer@care.test', password: 'demo-password' },
    auth: 'none',
  },
  {
    method: 'PATCH',
    path: '/care/clients/:id',
    params: { id: '1' },
    body: { careLevel: 'low' },
    auth: 'care',
  },
  {
    method: 'POST',
    path: '/care/alerts',
    body: { clientId: 1, severity: 'info', message: 'hi' },
    auth: 'care',
  },
  { method: 'DELETE', path: '/care/sessions/:id', params: { id: 'A'.repeat(22) }, auth: 'care' },
  {
    method: 'POST',
    path: '/dental/auth/login',
    body: { email: 'eva@dental.test', password: 'wrong-password' },
    auth: 'none',
  },
  {
    method: 'GET',
    path: '/dental/audit',
    query: { patientId: '1', staffId: '1', limit: '10' },
    auth: 'dental',
  },
  {
    method: 'DELETE',
    path: '/dental/auth/sessions/:id',
    params: { id: 'A'.repeat(22) },
    auth: 'dental',
  },
  // routes added with the background jobs and the school accounts
  { method: 'DELETE', path: '/dental/patients/:id', params: { id: '499' }, auth: 'dental' },
  { method: 'GET', path: '/dental/patients/:id/follow-ups', params: { id: '1' }, auth: 'dental' },
  { method: 'POST', path: '/dental/invoices/:id/pay', params: { id: '1' }, auth: 'dental' },
  {
    method: 'GET',
    path: '/dental/appointments/:id/reminders',
    params: { id: '1' },
    auth: 'dental',
  },
  { method: 'GET', path: '/care/clients/:id/medications', params: { id: '2' }, auth: 'care' },
  {
    method: 'POST',
    path: '/care/clients/:id/medications',
    params: { id: '2' },
    body: { name: 'Aspirin', dose: '5 mg', times: ['08:00'], startsOn: '2026-12-01' },
    auth: 'care',
  },
  {
    method: 'POST',
    path: '/care/clients/:id/medications/:medicationId/taken',
    params: { id: '2', medicationId: '1' },
    body: { doseAt: '2026-12-01T08:00:00Z' },
    auth: 'care',
  },
  { method: 'GET', path: '/care/clients/:id/adherence', params: { id: '2' }, auth: 'care' },
  {
    method: 'POST',
    path: '/care/clients/:id/adherence/check',
    params: { id: '2' },
    body: { day: '2026-12-01' },
    auth: 'care',
  },
  { method: 'GET', path: '/care/clients/:id/appointments', params: { id: '2' }, auth: 'care' },
  {
    method: 'POST',
    path: '/care/clients/:id/appointments',
    params: { id: '2' },
    body: { title: 'GP review', startsAt: '2026-12-01T10:00:00Z' },
    auth: 'care',
  },
  {
    method: 'PATCH',
    path: '/care/clients/:id/appointments/:appointmentId',
    params: { id: '2', appointmentId: '1' },
    body: { status: 'completed' },
    auth: 'care',
  },
  {
    method: 'POST',
    path: '/school/auth/signup',
    body: { email: 'hostile@example.test', name: 'Ann', password: 'long-enough-pw' },
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/school/auth/verify-email',
    body: { token: `${'A'.repeat(22)}.${'B'.repeat(43)}` },
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/school/auth/password-reset',
    body: { email: 'teacher@school.test' },
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/school/auth/password-reset/confirm',
    body: { token: `${'A'.repeat(22)}.${'B'.repeat(43)}`, password: 'long-enough-pw' },
    auth: 'none',
  },
  {
    method: 'POST',
    path: '/school/invites',
    body: { email: 'invitee@example.test', role: 'teacher' },
    auth: 'school',
  },
  {
    method: 'POST',
    path: '/school/auth/accept-invite',
    body: { token: `${'A'.repeat(22)}.${'B'.repeat(43)}`, name: 'Ann', password: 'long-enough-pw' },
    auth: 'none',
  },
  {
    method: 'GET',
    path: '/dev/mail',
    query: { to: 'teacher@school.test', limit: '5' },
    auth: 'none',
  },
];

const huge = 'x'.repeat(100_000);
/** Values that replace one field, one param or one query value. */
const HOSTILE_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  'NaN',
  '',
  huge,
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  ['1'],
  [1, 2],
  {},
  { __proto__: { polluted: true } },
  '__proto__',
  '../../etc/passwd',
  "1' or '1'='1",
];
/** Encoded path/query values (already percent-encoded where a raw byte would be invalid). */
const HOSTILE_URL_VALUES = [
  '-1',
  'NaN',
  '1e400',
  '0x10',
  '99999999999999999999',
  '%00',
  '%ED%A0%80', // a UTF-8-encoded lone surrogate
  '%E0%A4%A', // broken percent-encoding
  '%FF',
  '__proto__',
  'constructor',
  encodeURIComponent('x'.repeat(5_000)),
];
/** Whole bodies sent as raw text. */
const HOSTILE_RAW_BODIES = [
  '{',
  '{"a":',
  'null',
  '[]',
  '[1,2]',
  '"string"',
  '42',
  'true',
  '{"__proto__":{"polluted":true}}',
  '{"constructor":{"prototype":{"polluted":true}}}',
  '{"a":"\\ud800"}',
  `{"a":"${'y'.repeat(150_000)}"}`, // over the 100 kB body limit
  '\u0000',
];

export interface Failure {
  route: string;
  input: string;
  status: number;
  body: string;
}

function url(route: Route, params: Record<string, string>, query?: Record<string, string>) {
  let path = route.path;
  for (const [k, v] of Object.entries(params)) path = path.replace(`:${k}`, v);
  if (!query) return path;
  const qs = Object.entries(query)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return `${path}?${qs}`;
}

async function signedIn(
  app: RunningServer,
  auth: Auth,
): Promise<{ client: Client; token?: string }> {
  if (auth === 'dental') return { client: await dentalClient(app, 'admin') };
  if (auth === 'care') {
    const client = Client.for(app, { useCookies: true });
    await client.post('/care/auth/login', { email: 'carer@care.test', password: 'demo-password' });
    return { client };
  }
  const client = Client.for(app);
  if (auth === 'none') return { client };
  const res = await client.post('/school/auth/login', {
    email: 'root@school.test',
    password: 'demo-password',
  });
  return { client, token: res.body.accessToken };
}

const show = (v: unknown) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return (s ?? String(v)).length > 60 ? `${(s ?? '').slice(0, 40)}…(${(s ?? '').length})` : s;
};

/** Sends every hostile input to every route; returns the answers with status >= 500. */
export async function hostileRun(app: RunningServer): Promise<Failure[]> {
  const failures: Failure[] = [];
  for (const route of ROUTES) {
    const { client, token } = await signedIn(app, route.auth);
    const name = `${route.method} ${route.path}`;
    const send = async (input: string, path: string, opts: { body?: unknown; raw?: string }) => {
      const res = await client.request(route.method, path, {
        ...opts,
        ...(token ? { token } : {}),
      });
      if (res.status >= 500)
        failures.push({ route: name, input, status: res.status, body: show(res.body) });
    };
    const params = route.params ?? {};
    const basePath = url(route, params, route.query);
    for (const key of Object.keys(params)) {
      for (const v of HOSTILE_URL_VALUES)
        await send(`param ${key}=${show(v)}`, url(route, { ...params, [key]: v }, route.query), {
          ...(route.body ? { body: route.body } : {}),
        });
    }
    for (const key of Object.keys(route.query ?? {})) {
      for (const v of [...HOSTILE_URL_VALUES, `1&${key}=2`, `${key}[]`]) {
        const q = { ...route.query, [key]: v };
        await send(`query ${key}=${show(v)}`, url(route, params, q), {});
      }
      await send(`query ${key}[]=1`, url(route, params, { [`${key}[]`]: '1' }), {});
      await send(`query ${key}[a]=1`, url(route, params, { [`${key}[a]`]: '1' }), {});
    }
    if (!route.body) continue;
    for (const key of Object.keys(route.body)) {
      for (const v of HOSTILE_VALUES)
        await send(`body ${key}=${show(v)}`, basePath, { body: { ...route.body, [key]: v } });
    }
    await send('body + unknown field', basePath, {
      body: { ...route.body, extra: 'x', __proto__: 1 },
    });
    for (const raw of HOSTILE_RAW_BODIES) await send(`raw ${show(raw)}`, basePath, { raw });
  }
  return failures;
}
