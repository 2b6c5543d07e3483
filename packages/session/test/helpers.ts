import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from '@redis-toolkit/connection';
import express, { type Express } from 'express';
import { onTestFinished } from 'vitest';
import type { SessionMiddleware } from '../src/index.js';

export const SECRET = 'test-secret-0123456789abcdefghijklmnop';
export const SECRET_B = 'rotated-secret-ZYXWVUTSRQPONMLKJIHGFEDCBA';

/** A deferred used to hold a request inside its handler. */
export function gate(): { wait: Promise<void>; open(): void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

export interface Gates {
  slowEntered?: { wait: Promise<void>; open(): void };
  slowRelease?: { wait: Promise<void>; open(): void };
}

/** The reference app the tests drive: real Express on port 0, every route through the public API. */
export async function startApp(
  mw: SessionMiddleware,
  setup: (app: Express) => void = () => {},
): Promise<{ url: string; gates: Gates }> {
  const app = express();
  const gates: Gates = {};
  setup(app);
  app.use(mw);
  app.get('/me', (req, res) => {
    res.json({
      userId: req.session.auth?.userId ?? null,
      count: (req.session as { count?: number }).count ?? 0,
    });
  });
  app.post('/count', (req, res) => {
    const s = req.session as { count?: number };
    s.count = (s.count ?? 0) + 1;
    res.json({ count: s.count });
  });
  app.post('/login', async (req, res, next) => {
    try {
      await mw.login(req, { id: String(req.query.user) });
      res.json({ ok: true });
    } catch (error) {
      next(error);
    }
  });
  app.post('/logout', async (req, res, next) => {
    try {
      await mw.logout(req, res);
      res.json({ ok: true });
    } catch (error) {
      next(error);
    }
  });
  app.post('/slow', async (req, res) => {
    gates.slowEntered?.open();
    await gates.slowRelease?.wait;
    const s = req.session as { count?: number };
    s.count = 99;
    res.json({ count: 99 });
  });
  app.get('/sessions', async (req, res, next) => {
    try {
      const userId = req.session.auth?.userId;
      if (!userId) return void res.status(401).json({});
      res.json(await mw.listUserSessions(userId, { current: req.sessionID }));
    } catch (error) {
      next(error);
    }
  });
  app.post('/sessions/:id/revoke', async (req, res, next) => {
    try {
      const userId = req.session.auth?.userId;
      if (!userId) return void res.status(401).json({});
      res.json({ revoked: await mw.revokeSession(userId, String(req.params.id)) });
    } catch (error) {
      next(error);
    }
  });
  app.post('/sessions/revoke-others', async (req, res, next) => {
    try {
      const userId = req.session.auth?.userId;
      if (!userId) return void res.status(401).json({});
      res.json({ revoked: await mw.revokeUserSessions(userId, { except: req.sessionID }) });
    } catch (error) {
      next(error);
    }
  });
  app.use(mw.errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, gates };
}

export interface Reply {
  status: number;
  body: Record<string, unknown> & { error?: { code?: string } };
  headers: Headers;
  setCookies: string[];
}

/** A browser stand-in: keeps one cookie (the session's) and sends it back. */
export class Browser {
  cookie: string | undefined;
  constructor(
    readonly base: string,
    readonly name = 'sid',
    readonly headers: Record<string, string> = {},
  ) {}
  async req(method: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        ...this.headers,
        ...headers,
        ...(this.cookie ? { cookie: `${this.name}=${this.cookie}` } : {}),
      },
    });
    const text = await res.text();
    const setCookies = res.headers.getSetCookie();
    for (const c of setCookies) {
      const [pair] = c.split(';');
      const eq = pair!.indexOf('=');
      if (pair!.slice(0, eq) === this.name) {
        const value = pair!.slice(eq + 1);
        this.cookie = value === '' || /Expires=Thu, 01 Jan 1970/i.test(c) ? undefined : value;
      }
    }
    return {
      status: res.status,
      body: text ? JSON.parse(text) : {},
      headers: res.headers,
      setCookies,
    };
  }
  /** The raw session id inside the signed cookie. */
  get sid(): string | undefined {
    if (!this.cookie) return undefined;
    const v = decodeURIComponent(this.cookie);
    return v.slice(2, v.lastIndexOf('.'));
  }
  /** Whether the cookie is signed with `secret` (express-session's cookie-signature format). */
  signedWith(secret: string): boolean {
    const v = decodeURIComponent(this.cookie ?? '');
    const sid = v.slice(2, v.lastIndexOf('.'));
    const mac = createHmac('sha256', secret).update(sid).digest('base64').replace(/=+$/, '');
    return v === `s:${sid}.${mac}`;
  }
}

export interface CapturingLogger extends Logger {
  lines: { level: string; msg: string }[];
}

export function capturingLogger(): CapturingLogger {
  const lines: { level: string; msg: string }[] = [];
  const at =
    (level: string) =>
    (a: object | string, b?: string): void => {
      lines.push({ level, msg: typeof a === 'string' ? a : (b ?? '') });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
