import { BODY_LIMITS, errors, INVALID_BODY, json, noContent, ok } from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import {
  AuditList,
  auditQuery,
  DentalLoginResult,
  DentalMe,
  DentalSessionList,
  dentalLoginBody,
  dentalSessionParams,
} from './auth-schemas.js';
import type { DentalPath } from './openapi.js';

/** Staff sign-in, devices and the audit trail (dental/auth.ts, the audit route). */
export function registerDentalAuthPaths(path: DentalPath): void {
  path({
    method: 'post',
    path: '/auth/login',
    public: true,
    summary: 'Staff sign-in: a new session (12 h) in the `dental.sid` cookie (auth rate limit)',
    request: { body: { required: true, content: json(dentalLoginBody) } },
    responses: {
      200: ok('Signed in', DentalLoginResult, {
        headers: z.object({
          'Set-Cookie': z.string().openapi({ description: 'dental.sid session cookie (HttpOnly)' }),
        }),
      }),
      ...errors({
        400: INVALID_BODY,
        401: 'Wrong e-mail or password (`E_API_INVALID_CREDENTIALS`)',
        ...BODY_LIMITS,
      }),
    },
  });
  path({
    method: 'post',
    path: '/auth/logout',
    summary: 'End this session everywhere (durable destroy) and clear the cookie',
    responses: { 204: noContent('Signed out') },
  });
  path({
    method: 'get',
    path: '/auth/me',
    summary: 'The signed-in staff member, role and session',
    responses: { 200: ok('The staff member', DentalMe) },
  });
  path({
    method: 'get',
    path: '/auth/sessions',
    summary: 'This staff member’s sessions (devices), most recent first',
    responses: { 200: ok('The sessions', DentalSessionList) },
  });
  path({
    method: 'delete',
    path: '/auth/sessions/{id}',
    summary: 'Sign one of this staff member’s devices out',
    request: { params: dentalSessionParams },
    responses: {
      204: noContent('Revoked'),
      ...errors({
        400: 'Not a session id (`E_API_VALIDATION_FAILED`)',
        404: 'No such session for this staff member (`E_API_NOT_FOUND`)',
      }),
    },
  });
  path({
    method: 'get',
    path: '/audit',
    summary: 'Who read which patient record, newest first (cached reads included)',
    request: { query: auditQuery },
    responses: {
      200: ok('The audit rows', AuditList),
      ...errors({ 400: 'Invalid filter (`E_API_VALIDATION_FAILED`)' }),
    },
  });
}
