import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import { Client, startApp } from './helpers.js';

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

describe('school: JWT auth, revocation, cached roles and dashboards (two instances)', () => {
  let redis: RedisServer;
  let a: RunningServer;
  let b: RunningServer;
  let A: Client;
  let B: Client;

  const login = async (email: string, client = A): Promise<Tokens> => {
    const res = await client.post('/school/auth/login', { email, password: 'demo-password' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    redis = await startRedis();
    // Limits on, generous for the suite: the login limiter (5 failures / 15 min) is what is tested.
    const env = {
      REDIS_URL: redis.url,
      RATE_LIMIT_ENABLED: 'true',
      GLOBAL_RATE_LIMIT: '100000',
      API_RATE_LIMIT: '100000',
    };
    a = await startApp(env);
    b = await startApp(env, a.database);
    A = Client.for(a);
    B = Client.for(b);
    await Promise.all([a.redis.waitUntilReady(), b.redis.waitUntilReady()]);
    expect(await a.platform.blacklist.ready('10s')).toBe(true);
    expect(await b.platform.blacklist.ready('10s')).toBe(true);
  });
  afterAll(async () => {
    await b?.shutdown();
    await a?.shutdown();
    await redis?.stop();
  });

  it('login issues a 15-minute access token and a 7-day refresh token, each with a jti', async () => {
    const t = await login('teacher@school.test');
    const access = decodeJwt(t.accessToken);
    const refresh = decodeJwt(t.refreshToken);
    expect(access.exp! - access.iat!).toBe(15 * 60);
    expect(refresh.exp! - refresh.iat!).toBe(7 * 24 * 3600);
    expect(access.jti).toBeTruthy();
    expect(refresh.jti).not.toBe(access.jti);
    const me = await B.get('/school/me', { token: t.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      email: 'teacher@school.test',
      role: 'teacher',
      permissions: ['classes:read', 'grades:write'],
    });
  });

  it('rejects missing, malformed and wrong-type tokens with 401', async () => {
    const t = await login('student@school.test');
    expect((await A.get('/school/me')).status).toBe(401);
    expect((await A.get('/school/me', { token: 'not-a-jwt' })).status).toBe(401);
    expect((await A.get('/school/me', { token: t.refreshToken })).status).toBe(401);
    expect((await A.post('/school/auth/refresh', { refreshToken: t.accessToken })).status).toBe(
      401,
    );
    expect((await A.post('/school/auth/refresh', {})).status).toBe(400);
    expect((await A.post('/school/auth/login', { email: 'x' })).status).toBe(400);
  });

  it('logout revokes the access token on every instance, and the refresh token sent with it', async () => {
    const t = await login('office@school.test');
    expect((await B.get('/school/me', { token: t.accessToken })).status).toBe(200);
    expect(
      (
        await A.post(
          '/school/auth/logout',
          { refreshToken: t.refreshToken },
          { token: t.accessToken },
        )
      ).status,
    ).toBe(204);
    const after = await B.get('/school/me', { token: t.accessToken });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('E_BLACKLIST_REVOKED');
    expect((await A.get('/school/me', { token: t.accessToken })).status).toBe(401);
    expect((await B.post('/school/auth/refresh', { refreshToken: t.refreshToken })).status).toBe(
      401,
    );
  });

  it('refresh rotates: the new pair works, the old refresh token is single-use, reuse revokes everything', async () => {
    const first = await login('parent@school.test');
    const rotated = await A.post('/school/auth/refresh', { refreshToken: first.refreshToken });
    expect(rotated.status).toBe(200);
    expect((await B.get('/school/me', { token: rotated.body.accessToken })).status).toBe(200);
    // Replaying the rotated-away refresh token (on the other instance) is treated as theft.
    const replay = await B.post('/school/auth/refresh', { refreshToken: first.refreshToken });
    expect(replay.status).toBe(401);
    expect(replay.body.error.code).toBe('E_BLACKLIST_REVOKED');
    expect((await A.get('/school/me', { token: rotated.body.accessToken })).status).toBe(401);
    expect(
      (await A.post('/school/auth/refresh', { refreshToken: rotated.body.refreshToken })).status,
    ).toBe(401);
  });

  it('logout-all revokes every token issued before it, on every instance; a new login works', async () => {
    const phone = await login('admin@school.test');
    const laptop = await login('admin@school.test', B);
    const res = await A.post('/school/auth/logout-all', undefined, { token: phone.accessToken });
    expect(res.status).toBe(200);
    expect((await B.get('/school/me', { token: laptop.accessToken })).status).toBe(401);
    expect(
      (await A.post('/school/auth/refresh', { refreshToken: laptop.refreshToken })).status,
    ).toBe(401);
    // At once, even in the same second as the cut-off (iat has 1 s resolution): the app waits
    // for the next second rather than hand out a token that is already revoked.
    const fresh = await login('admin@school.test');
    expect((await B.get('/school/me', { token: fresh.accessToken })).status).toBe(200);
    const text = (await A.get('/metrics')).body as string;
    expect(text).toMatch(/token_revocations_total\{kind="user"\} [1-9]/);
  });

  it('roles are cached 1 h under role:{name}; a permission change is visible at once everywhere', async () => {
    const root = await login('root@school.test');
    const teacher = await login('teacher@school.test');
    const first = await A.get('/school/roles/staff', { token: teacher.accessToken });
    expect(first.status).toBe(200);
    expect(
      (await B.get('/school/roles/staff', { token: teacher.accessToken })).headers.get('x-cache'),
    ).toBe('HIT');
    const ttl = Number(await redis.cli('PTTL', 'school:cache:role:staff'));
    expect(ttl).toBeGreaterThan(59 * 60_000);
    expect(ttl).toBeLessThanOrEqual(60 * 60_000);

    const denied = await A.put(
      '/school/roles/staff/permissions',
      { permissions: ['users:read'] },
      { token: teacher.accessToken },
    );
    expect(denied.status).toBe(403);
    const changed = await A.put(
      '/school/roles/staff/permissions',
      { permissions: ['users:read', 'reports:read'] },
      { token: root.accessToken },
    );
    expect(changed.status).toBe(200);
    const after = await B.get('/school/roles/staff', { token: teacher.accessToken });
    expect(after.body.permissions).toEqual(['users:read', 'reports:read']);
    expect((await A.get('/school/roles/nope', { token: teacher.accessToken })).status).toBe(400);
    expect(
      (
        await A.put(
          '/school/roles/staff/permissions',
          { permissions: ['BAD PERM'] },
          { token: root.accessToken },
        )
      ).status,
    ).toBe(400);
  });

  it('each role gets its own dashboard, cached 5 min under dashboard:{role}:{id}', async () => {
    for (const [email, role, field] of [
      ['root@school.test', 'super_admin', 'usersByRole'],
      ['admin@school.test', 'school_admin', 'usersByRole'],
      ['office@school.test', 'staff', 'usersByRole'],
      ['teacher@school.test', 'teacher', 'classes'],
      ['student@school.test', 'student', 'grades'],
      ['parent@school.test', 'parent', 'children'],
    ] as const) {
      const t = await login(email);
      const id = Number(decodeJwt(t.accessToken).sub);
      const d = await A.get('/school/dashboard', { token: t.accessToken });
      expect(d.status).toBe(200);
      expect(d.body.role).toBe(role);
      expect(d.body[field]).toBeDefined();
      expect(
        (await B.get('/school/dashboard', { token: t.accessToken })).headers.get('x-cache'),
      ).toBe('HIT');
      const ttl = Number(await redis.cli('PTTL', `school:cache:dashboard:${role}:${id}`));
      expect(ttl).toBeGreaterThan(4 * 60_000);
    }
  });

  it('a new grade refreshes the student, parent, teacher and admin dashboards, not unrelated ones', async () => {
    const teacher = await login('teacher@school.test');
    const student = await login('student@school.test');
    const parent = await login('parent@school.test');
    const admin = await login('admin@school.test');
    const studentId = Number(decodeJwt(student.accessToken).sub);
    const before = {
      student: (await B.get('/school/dashboard', { token: student.accessToken })).body,
      parent: (await B.get('/school/dashboard', { token: parent.accessToken })).body,
      admin: (await B.get('/school/dashboard', { token: admin.accessToken })).body,
    };
    await B.get('/school/dashboard', { token: teacher.accessToken });
    const classId = before.student.grades[0].classId as number;
    const graded = await A.post(
      '/school/grades',
      { studentId, classId, score: 100 },
      { token: teacher.accessToken },
    );
    expect(graded.status).toBe(201);
    const studentAfter = await B.get('/school/dashboard', { token: student.accessToken });
    expect(studentAfter.headers.get('x-cache')).toBe('MISS');
    expect(
      studentAfter.body.grades.find((g: { classId: number }) => g.classId === classId).latestScore,
    ).toBe(100);
    const parentAfter = await B.get('/school/dashboard', { token: parent.accessToken });
    expect(parentAfter.headers.get('x-cache')).toBe('MISS');
    const child = parentAfter.body.children.find(
      (g: { studentId: number; classId: number }) =>
        g.studentId === studentId && g.classId === classId,
    );
    expect(child.latestScore).toBe(100);
    expect(
      (await B.get('/school/dashboard', { token: teacher.accessToken })).headers.get('x-cache'),
    ).toBe('MISS');
    const adminAfter = await B.get('/school/dashboard', { token: admin.accessToken });
    expect(adminAfter.body.gradesLast30Days).toBe(before.admin.gradesLast30Days + 1);
    // Another student's dashboard was not touched.
    const other = await login('student1@school.test');
    await B.get('/school/dashboard', { token: other.accessToken });
    await A.post(
      '/school/grades',
      { studentId, classId, score: 90 },
      { token: teacher.accessToken },
    );
    expect(
      (await B.get('/school/dashboard', { token: other.accessToken })).headers.get('x-cache'),
    ).toBe('HIT');

    expect(
      (
        await A.post(
          '/school/grades',
          { studentId, classId, score: 101 },
          { token: teacher.accessToken },
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await A.post(
          '/school/grades',
          { studentId, classId: 99999, score: 50 },
          { token: teacher.accessToken },
        )
      ).status,
    ).toBe(404);
    expect(
      (
        await A.post(
          '/school/grades',
          { studentId, classId, score: 50 },
          { token: student.accessToken },
        )
      ).status,
    ).toBe(403);
  });

  it('login is limited to 5 failed attempts per 15 minutes per IP + e-mail; successes do not count', async () => {
    for (let i = 0; i < 3; i++) await login('office@school.test');
    for (let i = 0; i < 5; i++) {
      const res = await A.post('/school/auth/login', {
        email: 'office@school.test',
        password: 'wrong',
      });
      expect(res.status).toBe(401);
    }
    const blocked = await B.post('/school/auth/login', {
      email: 'OFFICE@school.test',
      password: 'demo-password',
    });
    expect(blocked.status).toBe(429);
    expect(blocked.body.error.code).toBe('E_RATELIMIT_LIMITED');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another account from the same IP is not affected.
    expect(
      (await A.post('/school/auth/login', { email: 'root@school.test', password: 'demo-password' }))
        .status,
    ).toBe(200);
    const text = (await B.get('/metrics')).body as string;
    expect(text).toMatch(/rate_limit_blocked_total\{limiter="school-auth"\} 1/);
  });
});
