/** One request as the load saw it. `status` 0 = no HTTP answer (refused, reset, client timeout). */
export interface Sample {
  /** Start, ms since the run's clock started. */
  start: number;
  ms: number;
  status: number;
  family: 'dental' | 'school' | 'care' | 'malformed' | 'verify';
  op: string;
  instance: string;
}

export interface Reply {
  status: number;
  body: unknown;
  setCookies: string[];
}

export const CLIENT_TIMEOUT_MS = 15_000;

export interface SendOptions {
  method?: string;
  json?: unknown;
  /** A raw body (sent as application/json unless `contentType`). */
  raw?: string | Uint8Array;
  contentType?: string;
  token?: string;
  cookie?: string;
  /** `X-CSRF-Token` (the app's cookie-session writes need one, from GET /csrf-token). */
  csrf?: string;
}

export class Recorder {
  readonly samples: Sample[] = [];
  readonly t0 = performance.now();

  now(): number {
    return performance.now() - this.t0;
  }

  async send(
    base: { name: string; url: string },
    path: string,
    family: Sample['family'],
    op: string,
    options: SendOptions = {},
  ): Promise<Reply> {
    // The instances run as behind a TLS-terminating proxy (TRUST_PROXY=1), so Secure session cookies are set.
    const headers: Record<string, string> = { 'x-forwarded-proto': 'https' };
    let body: string | Uint8Array | undefined;
    if (options.json !== undefined) body = JSON.stringify(options.json);
    if (options.raw !== undefined) body = options.raw;
    if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.cookie) headers.cookie = options.cookie;
    if (options.csrf) headers['x-csrf-token'] = options.csrf;
    const start = this.now();
    let reply: Reply = { status: 0, body: undefined, setCookies: [] };
    try {
      const res = await fetch(`${base.url}${path}`, {
        method: options.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        body,
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      reply = { status: res.status, body: parsed, setCookies: res.headers.getSetCookie() };
    } catch {
      // no HTTP answer: status 0
    }
    this.samples.push({
      start,
      ms: this.now() - start,
      status: reply.status,
      family,
      op,
      instance: base.name,
    });
    return reply;
  }
}

/** `name=value` of the named cookie from Set-Cookie lines. */
export function cookieFrom(setCookies: string[], name: string): string | undefined {
  for (const line of setCookies) {
    const [pair] = line.split(';');
    if (pair?.startsWith(`${name}=`)) return pair;
  }
  return undefined;
}
