import type { Recorder } from './http.js';
import type { Ledger, Target } from './load.js';

export interface Verdict {
  logoutsAcknowledged: number;
  /** Acknowledged logouts (school pairs + care sessions) that some instance still honours. */
  logoutsLost: number;
  /** Those logouts themselves (ledger entries), for counting a subset. */
  lostLogouts: ReadonlySet<object>;
  rotationsAcknowledged: number;
  /** Refresh tokens rotated away by an acknowledged refresh that some instance still exchanges. */
  rotationsLost: number;
  loginsKept: number;
  /** Kept acknowledged logins that some instance refuses. */
  loginsLost: number;
  /** Human-readable examples of what was lost, for the report. */
  examples: string[];
}

const ok = (status: number) => status >= 200 && status < 300;

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/**
 * Checks outcomes by counting, against every instance in `on`: logins that were acknowledged and
 * kept must work everywhere; acknowledged logouts must be refused everywhere (school: the access
 * token gets no 2xx from /school/me, and the refresh token cannot be exchanged; care: the cookie's
 * session is gone). Non-destructive checks run first: exchanging a rotated refresh token triggers
 * the app's reuse detection, which revokes every token of that user.
 */
export async function verify(rec: Recorder, ledger: Ledger, on: Target[]): Promise<Verdict> {
  const examples: string[] = [];
  const note = (line: string) => {
    if (examples.length < 6) examples.push(line);
  };
  const lostLogins = new Set<unknown>();
  const lostLogouts = new Set<object>();
  let rotationsLost = 0;

  await pool([...ledger.liveTokens], 10, async (pair) => {
    for (const t of on) {
      const r = await rec.send(t, '/school/me', 'verify', 'login-works', {
        token: pair.accessToken,
      });
      if (r.status !== 200 && !lostLogins.has(pair)) {
        lostLogins.add(pair);
        note(
          `school login via ${pair.via} at ${(pair.at / 1000).toFixed(1)} s: /school/me on ${t.name} → ${r.status}`,
        );
      }
    }
  });
  await pool([...ledger.liveCare], 10, async (session) => {
    for (const t of on) {
      const r = await rec.send(t, '/care/me', 'verify', 'login-works', { cookie: session.cookie });
      if (r.status !== 200 && !lostLogins.has(session)) {
        lostLogins.add(session);
        note(
          `care login via ${session.via} at ${(session.at / 1000).toFixed(1)} s: /care/me on ${t.name} → ${r.status}`,
        );
      }
    }
  });
  await pool(ledger.loggedOutCare, 10, async (session) => {
    for (const t of on) {
      const r = await rec.send(t, '/care/me', 'verify', 'logout-holds', { cookie: session.cookie });
      if (ok(r.status) && !lostLogouts.has(session)) {
        lostLogouts.add(session);
        note(
          `care logout via ${session.via} at ${(session.at / 1000).toFixed(1)} s: session still works on ${t.name}`,
        );
      }
    }
  });
  await pool(ledger.loggedOutTokens, 10, async (pair) => {
    for (const t of on) {
      const r = await rec.send(t, '/school/me', 'verify', 'logout-holds', {
        token: pair.accessToken,
      });
      if (ok(r.status) && !lostLogouts.has(pair)) {
        lostLogouts.add(pair);
        note(
          `school logout via ${pair.via} at ${(pair.at / 1000).toFixed(1)} s: access token accepted on ${t.name}`,
        );
      }
    }
  });
  // Destructive from here on (a successful exchange rotates; a refused one may revoke the user).
  await pool(ledger.loggedOutTokens, 10, async (pair) => {
    for (const t of on) {
      const r = await rec.send(t, '/school/auth/refresh', 'verify', 'logout-holds', {
        json: { refreshToken: pair.refreshToken },
      });
      if (ok(r.status) && !lostLogouts.has(pair)) {
        lostLogouts.add(pair);
        note(
          `school logout via ${pair.via} at ${(pair.at / 1000).toFixed(1)} s: refresh token exchanged on ${t.name}`,
        );
      }
    }
  });
  await pool(ledger.rotatedRefresh, 10, async (rot) => {
    for (const t of on) {
      const r = await rec.send(t, '/school/auth/refresh', 'verify', 'rotation-holds', {
        json: { refreshToken: rot.refreshToken },
      });
      if (ok(r.status)) {
        rotationsLost++;
        note(
          `refresh rotated via ${rot.via} at ${(rot.at / 1000).toFixed(1)} s: exchanged again on ${t.name}`,
        );
        break;
      }
    }
  });
  return {
    logoutsAcknowledged: ledger.loggedOutTokens.length + ledger.loggedOutCare.length,
    logoutsLost: lostLogouts.size,
    lostLogouts,
    rotationsAcknowledged: ledger.rotatedRefresh.length,
    rotationsLost,
    loginsKept: ledger.liveTokens.size + ledger.liveCare.size,
    loginsLost: lostLogins.size,
    examples,
  };
}
