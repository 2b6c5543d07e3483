import cookieParser from 'cookie-parser';
import { doubleCsrf } from 'csrf-csrf';
import { type RequestHandler, Router } from 'express';

/** The cookies that carry a session; a request without one has no ambient credential to forge. */
export const SESSION_COOKIES = ['care.sid', 'dental.sid'] as const;
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF defence for the cookie-session areas (care, dental): csrf-csrf's signed double-submit
 * cookie. `GET /csrf-token` returns a token (and sets its cookie); a state-changing request that
 * carries a session cookie must echo it in `X-CSRF-Token`, or gets 403 `E_API_CSRF_INVALID`.
 *
 * The token is bound to the session cookies' values, so it changes at login and logout: fetch a
 * new one after signing in. Logins themselves are exempt (no session to ride yet; the auth rate
 * limit guards them), and so are requests with no session cookie at all (bearer-token school
 * routes, anonymous calls, which then get their 401).
 */
export interface CsrfProtection {
  /** In front of the cookie-session routers. */
  protect: RequestHandler;
  /** `GET /csrf-token`. */
  routes: Router;
}

export function csrfProtection({
  secret,
  production,
}: {
  secret: string;
  production: boolean;
}): CsrfProtection {
  const hasSessionCookie = (cookies: Record<string, string> | undefined) =>
    SESSION_COOKIES.some((name) => Boolean(cookies?.[name]));
  const { generateCsrfToken, doubleCsrfProtection } = doubleCsrf({
    getSecret: () => secret,
    getSessionIdentifier: (req) =>
      SESSION_COOKIES.map((name) => (req.cookies as Record<string, string>)?.[name] ?? '').join(
        '|',
      ),
    // __Host-: only over HTTPS, only from this host, path / (no subdomain can plant it)
    cookieName: production ? '__Host-csrf' : 'csrf',
    cookieOptions: { sameSite: 'lax', path: '/', secure: production, httpOnly: true },
    getCsrfTokenFromRequest: (req) => req.headers[CSRF_HEADER],
    skipCsrfProtection: (req) =>
      req.path === '/auth/login' || !hasSessionCookie(req.cookies as Record<string, string>),
    errorConfig: {
      statusCode: 403,
      code: 'E_API_CSRF_INVALID',
      message: `Missing or invalid CSRF token: send the token from GET /csrf-token in the ${CSRF_HEADER} header`,
    },
  });

  const cookies = cookieParser();
  // csrf-csrf never checks these methods (its `ignoredMethods` default): no cookie parse for them.
  const protect: RequestHandler = (req, res, next) =>
    SAFE_METHODS.has(req.method)
      ? next()
      : cookies(req, res, () => doubleCsrfProtection(req, res, next));

  const routes = Router();
  routes.get('/csrf-token', cookies, (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ token: generateCsrfToken(req, res), header: CSRF_HEADER });
  });
  return { protect, routes };
}
