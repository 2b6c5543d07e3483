import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../src/index.js';
import {
  appOnOwnRedis,
  Client,
  type Loose,
  logCapture,
  PRODUCTION_ENV,
  startApp,
} from './helpers.js';
import { sharedServers } from './shared-servers.js';

const PASSWORD = 'a-new-password-1';
let n = 0;
/** A fresh address per test (the database is shared). */
const address = (domain = 'example.test') => `user${Date.now()}${++n}@${domain}`;

/** The sink's entries for `to`, waiting until `until` holds (the worker is asynchronous). */
async function mailsFor(
  c: Client,
  to: string,
  until: (mails: Loose[]) => boolean = (m) => m.length > 0,
): Promise<Loose[]> {
  let mails: Loose[] = [];
  await expect
    .poll(
      async () => {
        mails = (await c.get(`/dev/mail?to=${encodeURIComponent(to)}`)).body.mails;
        return until(mails);
      },
      { timeout: 15_000, interval: 100 },
    )
    .toBe(true);
  return mails;
}
const tokenIn = (mail: Loose): string => {
  const match = /token: (\S+)/.exec(mail.text as string);
  if (!match) throw new Error(`no token in ${mail.text}`);
  return match[1] as string;
};

describe('school accounts: one-time tokens and e-mail jobs', () => {
  const servers = sharedServers();
  let app: RunningServer;
  let c: Client;
  beforeAll(async () => {
    app = await startApp({ REDIS_URL: servers.redis.url }, servers.database);
    c = Client.for(app);
  }, 60_000);
  // Before sharedServers' afterAll: vitest runs afterAll hooks last-registered first.
  afterAll(async () => {
    await app?.shutdown();
  });

  const login = (email: string, password: string) =>
    c.post('/school/auth/login', { email, password });

  it('signup → verification e-mail in /dev/mail → the token creates the account once', async () => {
    const email = address();
    const signup = await c.post('/school/auth/signup', {
      email,
      name: 'Nia New',
      password: PASSWORD,
    });
    expect(signup.status).toBe(202);
    expect(signup.body.status).toBe('queued');
    // no account before the address is verified
    expect((await login(email, PASSWORD)).status).toBe(401);
    const [mail] = await mailsFor(c, email);
    expect(mail).toMatchObject({
      to: email,
      template: 'email-verify',
      status: 'delivered',
      attempt: 1,
    });
    const token = tokenIn(mail);

    const verified = await c.post('/school/auth/verify-email', { token });
    expect(verified.status).toBe(201);
    expect(verified.body.user).toMatchObject({ email, name: 'Nia New', role: 'parent' });
    const again = await c.post('/school/auth/verify-email', { token });
    expect(again.status).toBe(400);
    expect(again.body.error.code).toBe('E_API_INVALID_TOKEN');
    expect((await login(email, PASSWORD)).status).toBe(200);

    // a second signup for the address does not say it exists, and mails its owner instead
    const repeat = await c.post('/school/auth/signup', {
      email,
      name: 'Mallory',
      password: PASSWORD,
    });
    expect(repeat.status).toBe(202);
    const mails = await mailsFor(c, email, (m) => m.length === 2);
    expect(mails[0].template).toBe('signup-existing');
    expect(mails[0].text).not.toMatch(/token:/);
  });

  it('two concurrent verifications of one token: exactly one account, one 400', async () => {
    const email = address();
    await c.post('/school/auth/signup', { email, name: 'Twin', password: PASSWORD });
    const token = tokenIn((await mailsFor(c, email))[0]);
    const replies = await Promise.all(
      [1, 2, 3].map(() => c.post('/school/auth/verify-email', { token })),
    );
    expect(replies.map((r) => r.status).sort()).toEqual([201, 400, 400]);
  });

  it('password reset: a newer reset e-mail voids the older token; sessions end', async () => {
    const email = address();
    await c.post('/school/auth/signup', { email, name: 'Rita Reset', password: PASSWORD });
    await c.post('/school/auth/verify-email', { token: tokenIn((await mailsFor(c, email))[0]) });
    const session = (await login(email, PASSWORD)).body;

    expect((await c.post('/school/auth/password-reset', { email })).status).toBe(202);
    expect((await c.post('/school/auth/password-reset', { email })).status).toBe(202);
    const resets = (
      await mailsFor(c, email, (m) => m.filter((x) => x.template === 'password-reset').length === 2)
    ).filter((m) => m.template === 'password-reset');
    const [newer, older] = resets.map(tokenIn);
    const stale = await c.post('/school/auth/password-reset/confirm', {
      token: older,
      password: 'never-accepted-1',
    });
    expect(stale.status).toBe(400);
    const done = await c.post('/school/auth/password-reset/confirm', {
      token: newer,
      password: 'the-newest-password',
    });
    expect(done.status).toBe(204);
    expect(
      (
        await c.post('/school/auth/password-reset/confirm', {
          token: newer,
          password: 'again-and-again',
        })
      ).status,
    ).toBe(400);
    expect((await login(email, PASSWORD)).status).toBe(401);
    expect((await login(email, 'the-newest-password')).status).toBe(200);
    // the session from before the reset is over
    expect((await c.get('/school/me', { token: session.accessToken })).status).toBe(401);

    // an address without an account gets the same answer and no e-mail
    const nobody = address();
    expect((await c.post('/school/auth/password-reset', { email: nobody })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 300));
    expect((await c.get(`/dev/mail?to=${nobody}`)).body.mails).toEqual([]);
  });

  it('invites: an admin invites a teacher, who accepts once; roles are checked', async () => {
    const token = async (email: string) =>
      (await login(email, 'demo-password')).body.accessToken as string;
    const root = await token('root@school.test');
    const admin = await token('admin@school.test');
    const teacher = await token('teacher@school.test');
    const email = address();

    expect((await c.post('/school/invites', { email, role: 'teacher' })).status).toBe(401);
    expect(
      (await c.post('/school/invites', { email, role: 'teacher' }, { token: teacher })).status,
    ).toBe(403);
    expect(
      (await c.post('/school/invites', { email, role: 'school_admin' }, { token: admin })).status,
    ).toBe(403);
    expect(
      (
        await c.post(
          '/school/invites',
          { email: 'teacher@school.test', role: 'staff' },
          { token: root },
        )
      ).status,
    ).toBe(409);
    const invited = await c.post('/school/invites', { email, role: 'teacher' }, { token: admin });
    expect(invited.status).toBe(202);
    expect(invited.body).toEqual({ status: 'queued', email, role: 'teacher' });

    const mail = (await mailsFor(c, email))[0];
    expect(mail.template).toBe('invite');
    const accept = { token: tokenIn(mail), name: 'Ines Invited', password: PASSWORD };
    const accepted = await c.post('/school/auth/accept-invite', accept);
    expect(accepted.status).toBe(201);
    expect(accepted.body.user).toMatchObject({ email, role: 'teacher', name: 'Ines Invited' });
    expect((await c.post('/school/auth/accept-invite', accept)).status).toBe(400);
    const signedIn = await login(email, PASSWORD);
    expect(signedIn.body.user.role).toBe('teacher');
  });

  it('an e-mail to fail.test fails its first attempt and is delivered by the retry after the backoff', async () => {
    const email = address('fail.test');
    await c.post('/school/auth/signup', { email, name: 'Flaky Inbox', password: PASSWORD });
    const mails = await mailsFor(c, email, (m) => m.some((x) => x.status === 'delivered'));
    const [delivered, failed] = mails;
    expect(failed).toMatchObject({ status: 'failed', attempt: 1 });
    expect(failed.error).toMatch(/transient/);
    expect(delivered).toMatchObject({ status: 'delivered', attempt: 2, jobId: failed.jobId });
    // exponential backoff, first delay 1 s
    expect(Date.parse(delivered.at) - Date.parse(failed.at)).toBeGreaterThanOrEqual(900);
    // the same link works: the token was issued once, the e-mail retried
    expect((await c.post('/school/auth/verify-email', { token: tokenIn(delivered) })).status).toBe(
      201,
    );
    const metrics = String((await c.get('/metrics')).body);
    expect(metrics).toMatch(/jobs_finished_total\{queue="email",outcome="retried"\} [1-9]/);
  });

  it('bounce.test: three attempts with exponential backoff, then the job stays failed for inspection', async () => {
    const email = address('bounce.test');
    await c.post('/school/auth/signup', { email, name: 'Dead Inbox', password: PASSWORD });
    const mails = await mailsFor(c, email, (m) => m.length === 3);
    const at = mails.map((m) => Date.parse(m.at)).reverse();
    expect(mails.map((m) => m.attempt).reverse()).toEqual([1, 2, 3]);
    // 1 s, then 2 s
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(900);
    expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(1_800);
    await expect
      .poll(async () => (await app.platform.jobs.counts()).email.failed)
      .toBeGreaterThan(0);
    const failed = await Client.for(app).get(
      '/admin/queues/api/queues?activeQueue=email&status=failed',
    );
    const email_ = (failed.body.queues as Loose[]).find((q) => q.name === 'email');
    expect(email_.jobs.some((j: Loose) => j.data.to === email)).toBe(true);
  }, 30_000);

  it('Idempotency-Key: a retried signup, reset or invite answers the same and sends one e-mail', async () => {
    const key = (label: string) => ({ 'idempotency-key': `${label}-${Date.now()}-${++n}` });
    const settledMails = async (to: string) => {
      await mailsFor(c, to);
      // let a second e-mail, if there were one, arrive
      await new Promise((r) => setTimeout(r, 500));
      return (await c.get(`/dev/mail?to=${encodeURIComponent(to)}`)).body.mails as Loose[];
    };

    // signup, retried: the first answer again, marked; one token, one e-mail
    const email = address();
    const signup = { email, name: 'Ida Empotent', password: PASSWORD };
    const signupKey = key('signup');
    const first = await c.post('/school/auth/signup', signup, { headers: signupKey });
    const retry = await c.post('/school/auth/signup', signup, { headers: signupKey });
    expect(first.status).toBe(202);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.status).toBe(202);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const [verify, ...more] = await settledMails(email);
    expect(more).toEqual([]);
    expect(verify.template).toBe('email-verify');
    expect((await c.post('/school/auth/verify-email', { token: tokenIn(verify) })).status).toBe(
      201,
    );

    // the same key for another request is refused; a malformed key is a 400
    const reused = await c.post(
      '/school/auth/signup',
      { ...signup, email: address() },
      { headers: signupKey },
    );
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('E_API_IDEMPOTENCY_KEY_REUSED');
    const malformed = await c.post('/school/auth/signup', signup, {
      headers: { 'idempotency-key': 'short' },
    });
    expect(malformed.status).toBe(400);

    // three copies at once: one runs, the others replay it or are told it is still running
    const racer = address();
    const raceKey = key('race');
    const copies = await Promise.all(
      [1, 2, 3].map(() =>
        c.post(
          '/school/auth/signup',
          { email: racer, name: 'Rae Race', password: PASSWORD },
          { headers: raceKey },
        ),
      ),
    );
    const statuses = copies.map((r) => r.status);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(
      copies.filter((r) => r.headers.get('idempotent-replayed') === null && r.status === 202),
    ).toHaveLength(1);
    expect(await settledMails(racer)).toHaveLength(1);

    // an error answer is not kept: the same key runs again once the request is right
    const late = address();
    const lateKey = key('late');
    const invalid = await c.post(
      '/school/auth/signup',
      { email: late, name: 'Lou Late' },
      { headers: lateKey },
    );
    expect(invalid.status).toBe(400);
    const valid = await c.post(
      '/school/auth/signup',
      { email: late, name: 'Lou Late', password: PASSWORD },
      { headers: lateKey },
    );
    expect(valid.status).toBe(202);
    expect(valid.headers.get('idempotent-replayed')).toBeNull();

    // password reset, retried: one e-mail, and its token still works (a second reset token
    // would have voided it)
    const resetKey = key('reset');
    for (let i = 0; i < 2; i++)
      expect(
        (await c.post('/school/auth/password-reset', { email }, { headers: resetKey })).status,
      ).toBe(202);
    const resets = (await settledMails(email)).filter((m) => m.template === 'password-reset');
    expect(resets).toHaveLength(1);
    expect(
      (
        await c.post('/school/auth/password-reset/confirm', {
          token: tokenIn(resets[0] as Loose),
          password: 'after-one-reset-1',
        })
      ).status,
    ).toBe(204);

    // invite, retried: the same body, one invitation; keys are per inviter
    const admin = (await login('admin@school.test', 'demo-password')).body.accessToken as string;
    const root = (await login('root@school.test', 'demo-password')).body.accessToken as string;
    const invitee = address();
    const inviteKey = key('invite');
    const invite = { email: invitee, role: 'teacher' };
    const sent = await c.post('/school/invites', invite, { token: admin, headers: inviteKey });
    const again = await c.post('/school/invites', invite, { token: admin, headers: inviteKey });
    expect(sent.status).toBe(202);
    expect(again.status).toBe(202);
    expect(again.body).toEqual(sent.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await settledMails(invitee)).toHaveLength(1);
    const other = address();
    const byRoot = await c.post(
      '/school/invites',
      { email: other, role: 'staff' },
      { token: root, headers: inviteKey },
    );
    expect(byRoot.status).toBe(202);
    expect(byRoot.headers.get('idempotent-replayed')).toBeNull();
  });

  it('the same key enqueues one e-mail (a retried enqueue does not send twice)', async () => {
    const email = address();
    const data = { to: email, subject: 's', text: 't', template: 'test' };
    const first = await app.platform.jobs.add('email', data, { key: 'test:same-key' });
    const second = await app.platform.jobs.add('email', data, { key: 'test:same-key' });
    expect(second.id).toBe(first.id);
    await mailsFor(c, email);
    await new Promise((r) => setTimeout(r, 500));
    expect((await c.get(`/dev/mail?to=${email}`)).body.mails).toHaveLength(1);
  });
});

describe('school accounts: limits and fallbacks', () => {
  const servers = sharedServers();

  it('e-mails per recipient (MAIL_RATE_LIMIT) and signups per client (SIGNUP_RATE_LIMIT)', async () => {
    const app = await startApp(
      {
        REDIS_URL: servers.redis.url,
        RATE_LIMIT_ENABLED: 'true',
        MAIL_RATE_LIMIT: '3',
        SIGNUP_RATE_LIMIT: '4',
      },
      servers.database,
    );
    try {
      const c = Client.for(app);
      const email = address();
      for (let i = 0; i < 3; i++)
        expect((await c.post('/school/auth/password-reset', { email })).status).toBe(202);
      const limited = await c.post('/school/auth/password-reset', { email });
      expect(limited.status).toBe(429);
      expect(limited.body.error.code).toBe('E_RATELIMIT_LIMITED');
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // the budget is per address: another one still gets its e-mails
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (
            await c.post('/school/auth/signup', {
              email: address(),
              name: 'Bot',
              password: PASSWORD,
            })
          ).status,
        );
      // the fifth signup from this client is refused
      expect(statuses).toEqual([202, 202, 202, 202, 429]);
    } finally {
      await app.shutdown();
    }
  });

  it('DISABLE_BACKGROUND_JOBS=true: the e-mail is sent inline, the flow works, one log line', async () => {
    const log = logCapture();
    const app = await startApp(
      { REDIS_URL: servers.redis.url, DISABLE_BACKGROUND_JOBS: 'true', LOG_LEVEL: 'info' },
      servers.database,
      { logStream: log.stream },
    );
    try {
      const c = Client.for(app);
      const email = address('fail.test');
      expect(
        (await c.post('/school/auth/signup', { email, name: 'Inline', password: PASSWORD })).status,
      ).toBe(202);
      const mails = await mailsFor(c, email, (m) => m.some((x) => x.status === 'delivered'));
      expect(mails.map((m) => m.status)).toEqual(['delivered', 'failed']);
      expect((await c.post('/school/auth/verify-email', { token: tokenIn(mails[0]) })).status).toBe(
        201,
      );
      expect(log.lines.filter((l) => l.component === 'jobs' && l.level === 30)).toHaveLength(1);
      expect(log.lines.some((l) => (l.level as number) >= 50)).toBe(false);
    } finally {
      await app.shutdown();
    }
  });

  it('REDIS_ENABLED=false: signup and verification work from memory', async () => {
    const app = await startApp({ REDIS_ENABLED: 'false' }, servers.database);
    try {
      const c = Client.for(app);
      const email = address();
      expect(
        (await c.post('/school/auth/signup', { email, name: 'No Redis', password: PASSWORD }))
          .status,
      ).toBe(202);
      const [mail] = await mailsFor(c, email);
      expect((await c.post('/school/auth/verify-email', { token: tokenIn(mail) })).status).toBe(
        201,
      );
      expect((await c.get('/admin/queues')).status).toBe(503);
    } finally {
      await app.shutdown();
    }
  });

  it('GET /dev/mail is a 404 in production', async () => {
    const app = await startApp(
      { REDIS_URL: servers.redis.url, ...PRODUCTION_ENV },
      servers.database,
    );
    try {
      const c = Client.for(app);
      expect((await c.get('/dev/mail')).status).toBe(404);
      // the flow itself works; the e-mail is only logged
      expect(
        (
          await c.post('/school/auth/signup', {
            email: address(),
            name: 'Prod',
            password: PASSWORD,
          })
        ).status,
      ).toBe(202);
    } finally {
      await app.shutdown();
    }
  });
});

describe('school e-mail during a Redis outage', () => {
  it('an e-mail and a logout taken during the outage share the outbox table; both replay once', async () => {
    const { redis, app } = await appOnOwnRedis();
    const c = Client.for(app);
    const session = (
      await c.post('/school/auth/login', {
        email: 'office@school.test',
        password: 'demo-password',
      })
    ).body;
    await redis.kill();
    const to = address();
    const data = {
      to,
      subject: 'during the outage',
      text: 'kept in the database',
      template: 'test',
    };
    const queued = await app.platform.jobs.add('email', data, { key: 'outage:1' });
    expect(queued.state).toBe('outbox');
    // a revocation lands in the same table (kind `blacklist`)
    expect(
      (await c.post('/school/auth/logout', undefined, { token: session.accessToken })).status,
    ).toBe(204);
    const kinds = await app.database.db.selectFrom('outbox').select('kind').execute();
    expect(kinds.map((k) => k.kind).sort()).toEqual(['blacklist', 'job']);

    await redis.restart();
    // the e-mail is delivered once, and the revocation holds: neither replayer dropped the other's entry
    const mails = await mailsFor(c, to);
    expect(mails).toHaveLength(1);
    await expect
      .poll(
        async () => (await app.database.db.selectFrom('outbox').select('id').execute()).length,
        {
          timeout: 20_000,
        },
      )
      .toBe(0);
    await expect
      .poll(async () => (await c.get('/school/me', { token: session.accessToken })).status, {
        timeout: 10_000,
      })
      .toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect((await c.get(`/dev/mail?to=${to}`)).body.mails).toHaveLength(1);
  }, 90_000);
});
