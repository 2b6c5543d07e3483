import type { Recorder } from './http.js';
import type { Target } from './load.js';

interface Hostile {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  raw?: string | Uint8Array;
  contentType?: string;
  token?: string;
  cookie?: string;
}

const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const huge = (n: number) => 'x'.repeat(n);
const BODY_ROUTES: [Hostile['method'], string][] = [
  ['POST', '/school/auth/login'],
  ['POST', '/school/auth/refresh'],
  ['POST', '/care/auth/login'],
  ['POST', '/dental/patients'],
  ['PATCH', '/dental/patients/1'],
  ['POST', '/dental/appointments'],
  ['POST', '/dental/invoices/1/pay'],
];
const BODIES: (string | Uint8Array)[] = [
  '{',
  '{"email":',
  'null',
  '[]',
  '"string"',
  '12345678901234567890123456789',
  '{"email":"a\\u0000b@x.test","password":"p\\u0000"}',
  '{"email":"\\ud800@x.test","password":"\\udfff"}',
  '{"refreshToken":"\\ud83d"}',
  '{"email":{"$gt":""},"password":{"$ne":null}}',
  '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
  '{"email":"a@b.test","password":"p","email":"dup"}',
  `{"email":"${huge(90_000)}","password":"p"}`,
  `{"firstName":"${huge(200_000)}"}`,
  deep(5_000),
  deepObject(2_000),
  '{"firstName":1e999,"lastName":-0,"dateOfBirth":"9999-99-99"}',
  '{"refreshToken":"eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0."}',
  new Uint8Array([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0x80, 0x22, 0x7d]),
  '\u0000\u0000\u0000',
];
const PATHS = [
  '/dental/patients/%00',
  '/dental/patients/%ZZ',
  '/dental/patients/%ED%A0%80',
  '/dental/patients/-1',
  '/dental/patients/99999999999999999999999',
  '/dental/patients/1e5',
  `/dental/patients?limit=${huge(5_000)}`,
  '/dental/patients?limit=-1&offset=NaN',
  '/dental/patients?limit[]=1&limit[]=2',
  '/dental/appointments?date=%00',
  '/school/roles/%ud800',
  '/school/roles/__proto__',
  '/dental/patients/1/../../../../etc/passwd',
];

/** The burst: every hostile body on every body route, then hostile paths and credentials. */
export function hostileRequests(): Hostile[] {
  const out: Hostile[] = [];
  for (const [method, path] of BODY_ROUTES)
    for (const raw of BODIES) out.push({ method, path, raw });
  for (const path of PATHS) out.push({ method: 'GET', path });
  out.push({
    method: 'POST',
    path: '/school/auth/login',
    raw: '{"a":1}',
    contentType: 'text/plain',
  });
  out.push({
    method: 'POST',
    path: '/school/auth/login',
    raw: '{"a":1}',
    contentType: 'application/json; charset=utf-7',
  });
  for (const token of [
    '',
    'x',
    'a.b.c',
    `${huge(8_000)}.x.y`,
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.',
  ])
    out.push({ method: 'GET', path: '/school/me', token });
  for (const cookie of [
    'care.sid=',
    'care.sid=s%3A',
    `care.sid=${huge(6_000)}`,
    'care.sid=s%3Ax.%ED%A0%80',
  ])
    out.push({ method: 'GET', path: '/care/me', cookie });
  return out;
}

/** Sends the burst `rounds` times to every target, `concurrency` at once; returns how many got 5xx. */
export async function malformedBurst(
  rec: Recorder,
  targets: Target[],
  { rounds, concurrency }: { rounds: number; concurrency: number },
): Promise<{ sent: number; fiveXx: number; examples: string[] }> {
  const jobs: { t: Target; h: Hostile }[] = [];
  for (let r = 0; r < rounds; r++)
    for (const t of targets) for (const h of hostileRequests()) jobs.push({ t, h });
  let next = 0;
  let fiveXx = 0;
  const examples: string[] = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const { t, h } = jobs[next++] as { t: Target; h: Hostile };
        const reply = await rec.send(t, h.path, 'malformed', `${h.method} ${h.path}`, {
          method: h.method,
          ...(h.raw !== undefined ? { raw: h.raw } : {}),
          ...(h.contentType ? { contentType: h.contentType } : {}),
          ...(h.token !== undefined ? { token: h.token || ' ' } : {}),
          ...(h.cookie ? { cookie: h.cookie } : {}),
        });
        if (reply.status >= 500 || reply.status === 0) {
          fiveXx++;
          if (examples.length < 5) {
            const body = typeof h.raw === 'string' ? h.raw.slice(0, 40) : h.raw ? '<bytes>' : '';
            examples.push(
              `${h.method} ${h.path.slice(0, 60)} ${body} → ${reply.status || 'no answer'}`,
            );
          }
        }
      }
    }),
  );
  return { sent: jobs.length, fiveXx, examples };
}
