import type { DatabaseHandle } from '../src/db/connect.js';
import { type RunningServer, type StartServerOptions, startServer } from '../src/index.js';

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

export async function startApp(
  env: Record<string, string>,
  database?: DatabaseHandle,
  options: Omit<StartServerOptions, 'database'> = {},
): Promise<RunningServer> {
  const app = await startServer(
    { ...TEST_ENV, ...env },
    { ...options, ...(database ? { database } : {}) },
  );
  // Logins are refused (503) until the revocation mirror is in sync, a few ms after Redis
  // answers; tests that sign in right away wait for it (false, after 2 s, while Redis is down).
  await app.platform.blacklist.ready('2s');
  return app;
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

/** A tiny HTTP client with an optional cookie jar (for care sessions) and bearer token. */
export class Client {
  readonly cookies = new Map<string, string>();
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
    } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined || options.raw !== undefined)
      headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (this.opts.useCookies && this.cookies.size > 0) headers.cookie = this.cookieHeader();
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers,
      ...(options.raw !== undefined
        ? { body: options.raw }
        : options.body !== undefined
          ? { body: JSON.stringify(options.body) }
          : {}),
    });
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

  get<T = Loose>(path: string, options?: { token?: string; headers?: Record<string, string> }) {
    return this.request<T>('GET', path, options);
  }
  post<T = Loose>(path: string, body?: unknown, options?: { token?: string }) {
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
