import { cookieFrom, type Recorder } from './http.js';

export interface Target {
  readonly name: string;
  readonly url: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Instance that acknowledged it, and when (ms on the recorder's clock). */
  via: string;
  at: number;
  /** A logout sent because a login was refused with 503 (Redis down): it went to the outbox. */
  duringOutage?: boolean;
}

export interface CareSession {
  cookie: string;
  via: string;
  at: number;
}

/**
 * What the load was told succeeded. Only acknowledged (2xx) outcomes are recorded; a pair whose
 * refresh or logout got no 2xx is dropped from `liveTokens`, since its state is unknown.
 */
export class Ledger {
  readonly liveTokens = new Set<TokenPair>();
  readonly loggedOutTokens: TokenPair[] = [];
  /** Refresh tokens rotated away by an acknowledged refresh: must never be exchanged again. */
  readonly rotatedRefresh: { refreshToken: string; via: string; at: number }[] = [];
  readonly liveCare = new Set<CareSession>();
  readonly loggedOutCare: CareSession[] = [];
  acknowledgedLogins = 0;
  /**
   * Live pairs set aside (up to the load's concurrency) to be logged out during an outage: no
   * pair can be obtained then (login and refresh answer 503), so without these no logout would
   * reach the revocation outbox. Every other kept pair, and every other pair due to log out
   * while the pool is short; a spare never spent is verified as a kept login.
   */
  readonly spare: TokenPair[] = [];
  kept = 0;
  setAside = 0;
  /** School logins refused with 503, and how many of them found no spare pair to log out. */
  refusedLogins = 0;
  noSpare = 0;
}

const PASSWORD = 'demo-password';
const SESSION_COOKIE = 'care.sid';
const STAFF_COOKIE = 'dental.sid';
/** Dental staff allowed to read patients and the dashboard (apps/api/src/dental/permissions.ts). */
const STAFF = ['admin@dental.test', 'alice@dental.test'];

export interface LoadOptions {
  concurrency: number;
  /** Current targets; the load picks from whatever is returned at each step (an instance may die). */
  targets(): Target[];
  /** Cycles out of `keepEvery` keep their login (verified afterwards); the rest log out. */
  keepEvery?: number;
}

/** Runs until `stop()`; resolves once every worker has finished its in-flight cycle. */
export function startLoad(rec: Recorder, ledger: Ledger, options: LoadOptions) {
  let running = true;
  const keepEvery = options.keepEvery ?? 3;
  const spareMax = options.concurrency;
  const pick = (i: number): Target => {
    const all = options.targets();
    return all[i % all.length] as Target;
  };

  // Every /dental route needs a staff session: one per worker, signed in again after a 401.
  const staffCookies = new Map<number, string>();
  const staffCookie = async (w: number, x: Target): Promise<string | undefined> => {
    const known = staffCookies.get(w);
    if (known) return known;
    const login = await rec.send(x, '/dental/auth/login', 'dental', 'login', {
      json: { email: STAFF[w % STAFF.length], password: PASSWORD },
    });
    const cookie = cookieFrom(login.setCookies, STAFF_COOKIE);
    if (login.status !== 200 || !cookie) return undefined;
    staffCookies.set(w, cookie);
    return cookie;
  };

  const dental = async (w: number, k: number) => {
    const cookie = await staffCookie(w, pick(w + k));
    if (!cookie) return;
    const read = await rec.send(
      pick(w + k),
      `/dental/patients/${1 + ((w * 37 + k) % 200)}`,
      'dental',
      'patient',
      { cookie },
    );
    if (read.status === 401) staffCookies.delete(w);
    await rec.send(pick(w + k + 1), '/dental/dashboard/stats', 'dental', 'stats', { cookie });
  };

  const school = async (w: number, k: number) => {
    const x = pick(w + k);
    const email = `student${1 + ((w * 61 + k) % 600)}@school.test`;
    const login = await rec.send(x, '/school/auth/login', 'school', 'login', {
      json: { email, password: PASSWORD },
    });
    if (login.status === 503) {
      // Redis is down: no new credentials, but a logout must still be accepted (outbox); sent
      // to the first target, A, the instance the instance-death fault kills during the outage
      await logoutSpare(options.targets()[0] ?? x);
      return;
    }
    if (login.status !== 200) return;
    const first = login.body as { accessToken: string; refreshToken: string };
    let pair: TokenPair = { ...pick2(first), via: x.name, at: rec.now() };
    ledger.acknowledgedLogins++;
    ledger.liveTokens.add(pair);
    if (!running) return;
    const y = pick(w + k + 1);
    await rec.send(y, '/school/me', 'school', 'me', { token: pair.accessToken });
    const refresh = await rec.send(y, '/school/auth/refresh', 'school', 'refresh', {
      json: { refreshToken: pair.refreshToken },
    });
    ledger.liveTokens.delete(pair);
    if (refresh.status !== 200) return;
    ledger.rotatedRefresh.push({ refreshToken: pair.refreshToken, via: y.name, at: rec.now() });
    pair = { ...pick2(refresh.body as TokenPair), via: y.name, at: rec.now() };
    ledger.liveTokens.add(pair);
    if (Math.floor(k / 3) % keepEvery === 0 || !running) {
      if (running && ledger.kept++ % 2 === 1 && ledger.spare.length < spareMax)
        ledger.spare.push(pair);
      return;
    }
    if (ledger.spare.length < spareMax && ledger.setAside++ % 2 === 0) {
      ledger.spare.push(pair);
      return;
    }
    const z = pick(w + k);
    const logout = await rec.send(z, '/school/auth/logout', 'school', 'logout', {
      token: pair.accessToken,
      json: { refreshToken: pair.refreshToken },
    });
    ledger.liveTokens.delete(pair);
    if (logout.status >= 200 && logout.status < 300)
      ledger.loggedOutTokens.push({ ...pair, via: z.name, at: rec.now() });
  };

  /** Logs out one spare pair on `x` (during an outage); an acknowledged one is verified like any logout. */
  const logoutSpare = async (x: Target) => {
    ledger.refusedLogins++;
    let pair = ledger.spare.pop();
    while (pair && !ledger.liveTokens.has(pair)) pair = ledger.spare.pop();
    if (!pair) {
      ledger.noSpare++;
      return;
    }
    const logout = await rec.send(x, '/school/auth/logout', 'school', 'logout', {
      token: pair.accessToken,
      json: { refreshToken: pair.refreshToken },
    });
    ledger.liveTokens.delete(pair);
    if (logout.status >= 200 && logout.status < 300)
      ledger.loggedOutTokens.push({ ...pair, via: x.name, at: rec.now(), duringOutage: true });
  };

  const care = async (w: number, k: number) => {
    const x = pick(w + k);
    const email = k % 2 ? 'carer@care.test' : 'nurse@care.test';
    const login = await rec.send(x, '/care/auth/login', 'care', 'login', {
      json: { email, password: PASSWORD },
    });
    const cookie = cookieFrom(login.setCookies, SESSION_COOKIE);
    if (login.status !== 200 || !cookie) return;
    const session: CareSession = { cookie, via: x.name, at: rec.now() };
    ledger.acknowledgedLogins++;
    ledger.liveCare.add(session);
    if (!running) return;
    const y = pick(w + k + 1);
    await rec.send(y, '/care/me', 'care', 'me', { cookie });
    if (Math.floor(k / 3) % keepEvery === 0 || !running) return;
    // A cookie-session write carries the CSRF token (and its cookie) from GET /csrf-token.
    const csrf = await rec.send(y, '/csrf-token', 'care', 'csrf', { cookie });
    const token = (csrf.body as { token?: unknown } | undefined)?.token;
    const csrfCookie =
      cookieFrom(csrf.setCookies, '__Host-csrf') ?? cookieFrom(csrf.setCookies, 'csrf');
    const logout = await rec.send(y, '/care/auth/logout', 'care', 'logout', {
      cookie: csrfCookie ? `${cookie}; ${csrfCookie}` : cookie,
      method: 'POST',
      ...(typeof token === 'string' ? { csrf: token } : {}),
    });
    ledger.liveCare.delete(session);
    if (logout.status >= 200 && logout.status < 300)
      ledger.loggedOutCare.push({ cookie, via: y.name, at: rec.now() });
  };

  const families = [dental, school, care];
  const workers = Array.from({ length: options.concurrency }, async (_, w) => {
    for (let k = 0; running; k++) {
      const family = families[(w + k) % families.length];
      await family?.(w, k);
    }
  });
  return {
    async stop(): Promise<void> {
      running = false;
      await Promise.all(workers);
    },
  };
}

function pick2(body: { accessToken: string; refreshToken: string }) {
  return { accessToken: body.accessToken, refreshToken: body.refreshToken };
}
