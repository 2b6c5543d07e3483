import { type RedisServer, startRedis } from '@redis-toolkit/testing';
import { onTestFinished } from 'vitest';
import type { DatabaseHandle } from '../src/db/connect.js';
import { type RunningServer, type StartServerOptions, startServer } from '../src/index.js';

/** Longest a test request may wait for its answer (under the 30 s test timeout). */
const REQUEST_DEADLINE_MS = 20_000;

/** Small seed: PGlite starts and seeds in a couple of seconds. */
export const TEST_ENV: Record<string, string> = {
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: 'silent',
  NODE_ENV: 'test',
  SEED_PATIENTS: '500',
  SEED_APPOINTMENTS: '3000',
  RATE_LIMIT_ENABLED: 'false',
};

const secret = 'x'.repeat(32);
/** What NODE_ENV=production requires of the environment (keys and secrets), with no proxy trusted. */
export const PRODUCTION_ENV: Record<string, string> = {
  NODE_ENV: 'production',
  TRUST_PROXY: '0',
  CACHE_ENCRYPTION_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}`,
  JWT_SECRET: secret,
  SESSION_SECRET: secret,
};

export async function startApp(
  env: Record<string, string>,
  database?: DatabaseHandle,
  options: Omit<StartServerOptions, 'database'> = {},
): Promise<RunningServer> {
  // Without any REDIS_* the app connects to 127.0.0.1:6379: the machine's own Redis, never a test's.
  if (!Object.keys(env).some((k) => k.startsWith('REDIS_')))
    throw new Error(
      'startApp: pass REDIS_URL (a Redis the test started) or REDIS_ENABLED=false; without REDIS_* the app writes into 127.0.0.1:6379',
    );
  const app = await startServer(
    { ...TEST_ENV, ...env },
    { ...options, ...(database ? { database } : {}) },
  );
  // Logins are refused (503) until the revocation mirror is in sync, a few ms after Redis
  // answers; tests that sign in right away wait for it (false, after 2 s, while Redis is down).
  await app.platform.blacklist.ready('2s');
  return app;
}

/**
 * A Redis server of the test's own (free to kill and restart) and an app on it with the smallest
 * seed (50 patients, 100 appointments) plus `env`; the app is shut down and the server stopped
 * when the test ends.
 */
export async function appOnOwnRedis(
  env: Record<string, string> = {},
): Promise<{ redis: RedisServer; app: RunningServer }> {
  const redis = await startRedis();
  let app: RunningServer | undefined;
  onTestFinished(async () => {
    await app?.shutdown();
    await redis.stop();
  });
  app = await startApp({
    REDIS_URL: redis.url,
    SEED_PATIENTS: '50',
    SEED_APPOINTMENTS: '100',
    ...env,
  });
  return { redis, app };
}

/** The app's JSON log lines, for `startApp(..., { logStream: log.stream })`. */
export function logCapture() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = {
    write(chunk: string) {
      raw.push(chunk);
      for (const line of chunk.split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    },
  };
  return { stream, lines, text: () => raw.join('') };
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
export type Loose = any;

export interface Reply<T = Loose> {
  status: number;
  headers: Headers;
  body: T;
}

/** The demo login of each dental role (seed.ts), password DEMO_PASSWORD. */
export const DENTAL_LOGINS = {
  dentist: 'alice@dental.test',
  hygienist: 'carla@dental.test',
  receptionist: 'eva@dental.test',
  admin: 'admin@dental.test',
} as const;
export type DentalRoleName = keyof typeof DENTAL_LOGINS;

/** A cookie client signed in as a demo dental staff member of `role`. */
export async function dentalClient(app: RunningServer, role: DentalRoleName): Promise<Client> {
  const client = Client.for(app, { useCookies: true });
  const res = await client.post('/dental/auth/login', {
    email: DENTAL_LOGINS[role],
    password: 'demo-password',
  });
  if (res.status !== 200) throw new Error(`dental login as ${role}: ${res.status}`);
  return client;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SESSION_COOKIE = /^(care|dental)\.sid$/;

/**
 * A tiny HTTP client with an optional cookie jar (for care and dental sessions) and bearer token.
 * With cookies it behaves like the app's browser client: a state-changing request that carries a
 * session cookie sends the CSRF token from `GET /csrf-token` (fetched again after a login or
 * logout changed the session cookie); `csrf: false` leaves it out.
 */
export class Client {
  readonly cookies = new Map<string, string>();
  private csrf: { session: string; token: string } | undefined;
  constructor(
    public base: string,
    private readonly opts: { useCookies?: boolean; ip?: string } = {},
  ) {}

  static for(app: RunningServer, opts: { useCookies?: boolean } = {}): Client {
    return new Client(`http://127.0.0.1:${app.port}`, opts);
  }

  /** Same cookies, another instance. */
  on(app: RunningServer): Client {
    const c = new Client(`http://127.0.0.1:${app.port}`, this.opts);
    for (const [k, v] of this.cookies) c.cookies.set(k, v);
    return c;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request<T = Loose>(
    method: string,
    path: string,
    options: {
      body?: unknown;
      token?: string;
      headers?: Record<string, string>;
      raw?: string;
      csrf?: boolean;
    } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (
      this.opts.useCookies &&
      options.csrf !== false &&
      !SAFE_METHODS.has(method.toUpperCase()) &&
      !path.endsWith('/auth/login') &&
      headers['x-csrf-token'] === undefined
    ) {
      const token = await this.csrfToken();
      if (token) headers['x-csrf-token'] = token;
    }
    if (options.body !== undefined || options.raw !== undefined)
      headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (this.opts.useCookies && this.cookies.size > 0) headers.cookie = this.cookieHeader();
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        // a request the app never answers fails here, named, instead of as the test's timeout
        signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
        ...(options.raw !== undefined
          ? { body: options.raw }
          : options.body !== undefined
            ? { body: JSON.stringify(options.body) }
            : {}),
      });
    } catch (error) {
      if ((error as { name?: string }).name === 'TimeoutError') {
        throw new Error(`${method} ${path}: no answer within ${REQUEST_DEADLINE_MS} ms`);
      }
      throw error;
    }
    if (this.opts.useCookies) {
      for (const line of res.headers.getSetCookie()) {
        const [pair] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq);
        const value = pair!.slice(eq + 1);
        if (/Expires=Thu, 01 Jan 1970/i.test(line) || value === '') this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
    }
    const text = await res.text();
    let body: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
    return { status: res.status, headers: res.headers, body: body as T };
  }

  private sessionState(): string {
    return [...this.cookies]
      .filter(([name]) => SESSION_COOKIE.test(name))
      .map(([k, v]) => `${k}=${v}`)
      .join(';');
  }

  /** The CSRF token for the current session cookies (none without a session). */
  async csrfToken(): Promise<string | undefined> {
    const session = this.sessionState();
    if (!session) return undefined;
    if (this.csrf?.session === session) return this.csrf.token;
    const res = await this.get<{ token: string }>('/csrf-token');
    if (res.status !== 200) throw new Error(`GET /csrf-token: ${res.status}`);
    this.csrf = { session, token: res.body.token };
    return res.body.token;
  }

  get<T = Loose>(path: string, options?: { token?: string; headers?: Record<string, string> }) {
    return this.request<T>('GET', path, options);
  }
  post<T = Loose>(
    path: string,
    body?: unknown,
    options?: { token?: string; csrf?: boolean; headers?: Record<string, string> },
  ) {
    return this.request<T>('POST', path, { ...options, ...(body !== undefined ? { body } : {}) });
  }
  patch<T = Loose>(path: string, body?: unknown, options?: { token?: string }) {
    return this.request<T>('PATCH', path, { ...options, ...(body !== undefined ? { body } : {}) });
  }
  put<T = Loose>(path: string, body?: unknown, options?: { token?: string }) {
    return this.request<T>('PUT', path, { ...options, ...(body !== undefined ? { body } : {}) });
  }
  delete<T = Loose>(path: string, options?: { token?: string }) {
    return this.request<T>('DELETE', path, options);
  }
}
