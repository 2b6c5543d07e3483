import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { idempotencyHeaders, replayedHeaders } from '../idempotency.js';
import {
  BODY_LIMITS,
  errors,
  headers,
  INVALID_BODY,
  json,
  noContent,
  ok,
  RATE_LIMITED,
  SECURITY,
} from '../openapi/common.js';
import {
  AccountCreated,
  acceptInviteBody,
  Dashboard,
  Grade,
  gradeBody,
  InviteQueued,
  inviteBody,
  LoginResult,
  LogoutAllResult,
  loginBody,
  logoutBody,
  MailQueued,
  Me,
  passwordResetBody,
  passwordResetConfirmBody,
  permissionsBody,
  Role,
  refreshBody,
  roleParams,
  signupBody,
  TokenPair,
  tokenBody,
} from './schemas.js';

const jsonBody = (schema: Parameters<typeof json>[0], required = true) => ({
  required,
  content: json(schema),
});
const UNAUTHENTICATED =
  'Missing, invalid or expired access token (`E_API_UNAUTHENTICATED`), or a revoked one (`E_BLACKLIST_REVOKED`, after logout / logout-all)';
/** Routes that mint tokens refuse while the blacklist cannot vouch for revocations. */
const NO_ISSUANCE = `No new tokens while revocation state is unknown: Redis unavailable, or revocations accepted during an outage not yet replayed (\`E_BLACKLIST_UNAVAILABLE\`), or Redis failed during the refresh-token rotation (\`E_TOKENS_UNAVAILABLE\`); or ${RATE_LIMITED[503]}`;
const NOT_DURABLE = `The revocation could not be made durable (Redis unavailable and the outbox refused it: \`E_BLACKLIST_UNAVAILABLE\`); or ${RATE_LIMITED[503]}`;
const withChallenge = (responses: Record<string, ResponseConfig>) => {
  const unauthorized = responses[401];
  if (unauthorized) unauthorized.headers = headers.wwwAuthenticate;
  return responses;
};

/** Every route of `schoolRoutes`, mounted at `/school` behind the global and `api` limiters. */
export function registerSchoolPaths(registry: OpenAPIRegistry): void {
  const path = ({ authenticated, ...route }: RouteConfig & { authenticated: boolean }) =>
    registry.registerPath({
      ...route,
      path: `/school${route.path}`,
      tags: ['school'],
      ...(authenticated ? { security: [{ [SECURITY.bearer]: [] }] } : {}),
      // A route's own 503 (it says both reasons) replaces the limiters' one.
      responses: { ...errors(RATE_LIMITED), ...route.responses },
    });

  path({
    method: 'post',
    path: '/auth/login',
    summary: 'Sign in: an access token (15 min) and a refresh token (7 days)',
    authenticated: false,
    request: { body: jsonBody(loginBody) },
    responses: {
      200: ok('Signed in', LoginResult),
      ...errors({
        400: INVALID_BODY,
        401: 'Wrong e-mail or password (`E_API_INVALID_CREDENTIALS`)',
        ...BODY_LIMITS,
        503: NO_ISSUANCE,
      }),
    },
  });
  path({
    method: 'post',
    path: '/auth/refresh',
    summary: 'Trade a refresh token for a new pair (rotation; a reused token ends every session)',
    authenticated: false,
    request: { body: jsonBody(refreshBody) },
    responses: {
      200: ok('A new token pair', TokenPair),
      ...withChallenge(
        errors({
          400: INVALID_BODY,
          401: 'Invalid or expired refresh token, a revoked or reused one (`E_BLACKLIST_REVOKED`), or the user is gone',
          ...BODY_LIMITS,
          503: NO_ISSUANCE,
        }),
      ),
    },
  });
  path({
    method: 'post',
    path: '/auth/logout',
    summary: 'Revoke this access token and, when sent, its refresh token',
    authenticated: true,
    request: { body: jsonBody(logoutBody, false) },
    responses: {
      204: noContent('Signed out'),
      ...withChallenge(
        errors({ 400: INVALID_BODY, 401: UNAUTHENTICATED, ...BODY_LIMITS, 503: NOT_DURABLE }),
      ),
    },
  });
  path({
    method: 'post',
    path: '/auth/logout-all',
    summary: 'Revoke every token of this user issued until now',
    authenticated: true,
    responses: {
      200: ok('Every earlier token is revoked', LogoutAllResult),
      ...withChallenge(errors({ 401: UNAUTHENTICATED, 503: NOT_DURABLE })),
    },
  });
  path({
    method: 'get',
    path: '/me',
    summary: 'The signed-in user and their role’s permissions (role cached 1 h)',
    authenticated: true,
    responses: {
      200: ok('The user', Me, { headers: headers.xCache }),
      ...withChallenge(
        errors({ 401: UNAUTHENTICATED, 404: 'The user no longer exists (`E_API_NOT_FOUND`)' }),
      ),
    },
  });
  path({
    method: 'get',
    path: '/roles/{name}',
    summary: 'One role and its permissions (cached 1 h)',
    authenticated: true,
    request: { params: roleParams },
    responses: {
      200: ok('The role', Role, { headers: headers.xCache }),
      ...withChallenge(
        errors({
          400: 'Unknown role name (`E_API_VALIDATION_FAILED`)',
          401: UNAUTHENTICATED,
          404: 'Role not found (`E_API_NOT_FOUND`)',
        }),
      ),
    },
  });
  path({
    method: 'put',
    path: '/roles/{name}/permissions',
    summary: 'Replace a role’s permissions (super_admin only)',
    authenticated: true,
    request: { params: roleParams, body: jsonBody(permissionsBody) },
    responses: {
      200: ok('The updated role', Role),
      ...withChallenge(
        errors({
          400: `${INVALID_BODY}; also an unknown role name`,
          401: UNAUTHENTICATED,
          403: 'Not a super_admin (`E_API_FORBIDDEN`)',
          404: 'Role not found (`E_API_NOT_FOUND`)',
          ...BODY_LIMITS,
        }),
      ),
    },
  });
  path({
    method: 'get',
    path: '/dashboard',
    summary: 'The signed-in role’s dashboard (cached 5 min, dropped when a grade changes it)',
    authenticated: true,
    responses: {
      200: ok('The dashboard', Dashboard, { headers: headers.xCache }),
      ...withChallenge(errors({ 401: UNAUTHENTICATED })),
    },
  });
  path({
    method: 'post',
    path: '/grades',
    summary: 'Record a grade (teacher of the class, school_admin or super_admin)',
    authenticated: true,
    request: { body: jsonBody(gradeBody) },
    responses: {
      201: ok('Recorded', Grade),
      ...withChallenge(
        errors({
          400: INVALID_BODY,
          401: UNAUTHENTICATED,
          403: 'Role not allowed, or a teacher who does not teach this class (`E_API_FORBIDDEN`)',
          404: 'Class not found (`E_API_NOT_FOUND`)',
          ...BODY_LIMITS,
          422: 'The student is not enrolled in the class (`E_API_NOT_ENROLLED`)',
        }),
      ),
    },
  });

  // ---- accounts (account-routes.ts): one-time tokens, e-mails through the `email` queue ----
  const MAIL_LIMITED =
    'Too many e-mails to this address (MAIL_RATE_LIMIT per MAIL_RATE_WINDOW), or signups from this client (SIGNUP_RATE_LIMIT), or the api limiter (`E_RATELIMIT_LIMITED`); `Retry-After` says when';
  const TOKEN_REJECTED =
    'Invalid body, or a token that is unknown, already used, voided by a newer one or expired (`E_API_INVALID_TOKEN`)';
  const TOKENS_DOWN = `Redis unavailable: no token is issued or checked (\`E_TOKENS_UNAVAILABLE\`), or the e-mail could not be queued (\`E_JOBS_UNAVAILABLE\`); or ${RATE_LIMITED[503]}`;
  const REPLAY =
    'With an Idempotency-Key used before for the same request (within 24 h): the first answer again, `Idempotent-Replayed: true`, no second token or e-mail';
  const KEY_ERRORS = {
    409: 'A request with this Idempotency-Key is still running (`E_API_IDEMPOTENCY_KEY_IN_PROGRESS`, `Retry-After: 1`)',
    422: 'This Idempotency-Key was used for a different request (`E_API_IDEMPOTENCY_KEY_REUSED`)',
  };
  const KEY_400 = `${INVALID_BODY}; also an Idempotency-Key of the wrong form`;
  path({
    method: 'post',
    path: '/auth/signup',
    summary:
      'Create an account: a verification e-mail (24 h token); the account exists once verified',
    authenticated: false,
    request: { body: jsonBody(signupBody), headers: idempotencyHeaders },
    responses: {
      202: ok(
        `Queued (the same answer when the address already has an account). ${REPLAY}`,
        MailQueued,
        { headers: replayedHeaders },
      ),
      ...errors({
        400: KEY_400,
        ...KEY_ERRORS,
        ...BODY_LIMITS,
        429: MAIL_LIMITED,
        503: TOKENS_DOWN,
      }),
    },
  });
  path({
    method: 'post',
    path: '/auth/verify-email',
    summary: 'Use the verification token: creates the account (role parent); single use',
    authenticated: false,
    request: { body: jsonBody(tokenBody) },
    responses: {
      201: ok('Account created', AccountCreated),
      ...errors({
        400: TOKEN_REJECTED,
        409: 'The address got an account meanwhile (`E_API_CONFLICT`)',
        ...BODY_LIMITS,
        503: TOKENS_DOWN,
      }),
    },
  });
  path({
    method: 'post',
    path: '/auth/password-reset',
    summary: 'Ask for a password-reset e-mail (1 h token; a new one voids the older ones)',
    authenticated: false,
    request: { body: jsonBody(passwordResetBody), headers: idempotencyHeaders },
    responses: {
      202: ok(`Queued (the same answer for an address without an account). ${REPLAY}`, MailQueued, {
        headers: replayedHeaders,
      }),
      ...errors({
        400: KEY_400,
        ...KEY_ERRORS,
        ...BODY_LIMITS,
        429: MAIL_LIMITED,
        503: TOKENS_DOWN,
      }),
    },
  });
  path({
    method: 'post',
    path: '/auth/password-reset/confirm',
    summary: 'Set a new password with the reset token; every session of the user ends',
    authenticated: false,
    request: { body: jsonBody(passwordResetConfirmBody) },
    responses: {
      204: noContent('Password changed; earlier tokens are revoked'),
      ...errors({ 400: TOKEN_REJECTED, ...BODY_LIMITS, 503: `${TOKENS_DOWN}; ${NOT_DURABLE}` }),
    },
  });
  path({
    method: 'post',
    path: '/invites',
    summary:
      'Invite a staff member by e-mail (school_admin or super_admin; school_admin invites: super_admin only)',
    authenticated: true,
    request: { body: jsonBody(inviteBody), headers: idempotencyHeaders },
    responses: {
      202: ok(`Invitation queued (7 d token). ${REPLAY} (keys are per inviter)`, InviteQueued, {
        headers: replayedHeaders,
      }),
      ...withChallenge(
        errors({
          400: KEY_400,
          401: UNAUTHENTICATED,
          403: 'Not an admin, or a school_admin inviting a school_admin (`E_API_FORBIDDEN`)',
          409: `The address already has an account (\`E_API_CONFLICT\`); or ${KEY_ERRORS[409]}`,
          422: KEY_ERRORS[422],
          ...BODY_LIMITS,
          429: MAIL_LIMITED,
          503: TOKENS_DOWN,
        }),
      ),
    },
  });
  path({
    method: 'post',
    path: '/auth/accept-invite',
    summary: 'Use the invitation token: creates the account with the invited role; single use',
    authenticated: false,
    request: { body: jsonBody(acceptInviteBody) },
    responses: {
      201: ok('Account created', AccountCreated),
      ...errors({
        400: TOKEN_REJECTED,
        409: 'The address got an account meanwhile (`E_API_CONFLICT`)',
        ...BODY_LIMITS,
        503: TOKENS_DOWN,
      }),
    },
  });
}
