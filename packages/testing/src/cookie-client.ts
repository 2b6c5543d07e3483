import { CookieJar } from './cookie-jar.js';
import { TestKitError } from './errors.js';

/** A response, read in full. `body` is parsed JSON when the content type says JSON, else text. */
export interface HttpReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  /** Per-request headers; they win over the client's default headers. */
  headers?: Record<string, string>;
  /** Sent as JSON with `content-type: application/json` (unless a content type is given). */
  json?: unknown;
  /** Sent as is, for malformed-body or form tests. */
  raw?: string | Uint8Array | URLSearchParams;
}

export interface CookieClient {
  readonly baseUrl: string;
  readonly jar: CookieJar;
  request<T = unknown>(
    method: string,
    path: string,
    options?: RequestOptions,
  ): Promise<HttpReply<T>>;
  get<T = unknown>(path: string, options?: RequestOptions): Promise<HttpReply<T>>;
  post<T = unknown>(path: string, json?: unknown, options?: RequestOptions): Promise<HttpReply<T>>;
  put<T = unknown>(path: string, json?: unknown, options?: RequestOptions): Promise<HttpReply<T>>;
  patch<T = unknown>(path: string, json?: unknown, options?: RequestOptions): Promise<HttpReply<T>>;
  delete<T = unknown>(path: string, options?: RequestOptions): Promise<HttpReply<T>>;
  /** Sets (or, with undefined, removes) a header sent on every later request, e.g. a CSRF token. */
  setHeader(name: string, value: string | undefined): void;
  /** Another client on `baseUrl` sharing this jar and default headers: one browser, two instances. */
  withBase(baseUrl: string): CookieClient;
}

/**
 * fetch with a cookie jar. Redirects are not followed (`redirect: 'manual'`): a test sees the
 * 302 and its Set-Cookie instead of losing them to the redirect chain.
 */
export function cookieClient(baseUrl: string): CookieClient {
  return makeClient(baseUrl, new CookieJar(), new Map());
}

function makeClient(baseUrl: string, jar: CookieJar, defaults: Map<string, string>): CookieClient {
  const base = baseUrl.replace(/\/+$/, '');

  async function request<T>(
    method: string,
    path: string,
    options: RequestOptions = {},
  ): Promise<HttpReply<T>> {
    const headers = new Headers([...defaults]);
    for (const [k, v] of Object.entries(options.headers ?? {})) headers.set(k, v);
    const cookie = jar.header();
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    let body: string | Uint8Array | URLSearchParams | undefined = options.raw;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    }
    const res = await fetch(`${base}${path}`, { method, headers, body, redirect: 'manual' });
    jar.store(res.headers.getSetCookie());
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: parseBody(res, text, method, path) as T,
    };
  }

  const withJson = (json: unknown, options: RequestOptions = {}): RequestOptions =>
    json === undefined ? options : { ...options, json };

  return {
    baseUrl: base,
    jar,
    request,
    get: (path, options) => request('GET', path, options),
    post: (path, json, options) => request('POST', path, withJson(json, options)),
    put: (path, json, options) => request('PUT', path, withJson(json, options)),
    patch: (path, json, options) => request('PATCH', path, withJson(json, options)),
    delete: (path, options) => request('DELETE', path, options),
    setHeader: (name, value) => {
      if (value === undefined) defaults.delete(name.toLowerCase());
      else defaults.set(name.toLowerCase(), value);
    },
    withBase: (otherBase) => makeClient(otherBase, jar, defaults),
  };
}

function parseBody(res: Response, text: string, method: string, path: string): unknown {
  const type = res.headers.get('content-type') ?? '';
  if (!/[/+]json\b/i.test(type) || text === '') return text;
  try {
    return JSON.parse(text);
  } catch (error) {
    // A JSON content type with a non-JSON body is an app bug the test should see, not a string.
    throw new TestKitError(
      'E_BAD_JSON',
      `${method} ${path} answered ${res.status} with content-type ${type} but the body is not JSON: ${text.slice(0, 200)}`,
      { cause: error },
    );
  }
}
