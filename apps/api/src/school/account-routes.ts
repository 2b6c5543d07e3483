import { createHash } from 'node:crypto';
import type { Limiter } from '@redis-toolkit/rate-limit';
import {
  type OneTimeTokens,
  type RefreshTokens,
  type TokenBlacklist,
  TokensLimitedError,
  TokensUnavailableError,
} from '@redis-toolkit/token-blacklist';
import { type Request, type RequestHandler, Router } from 'express';
import { hashPassword } from '../db/password.js';
import type { SchoolRole } from '../db/schema.js';
import { bodyField, type IdempotencyStore, idempotent } from '../idempotency.js';
import type { AppJobQueues } from '../jobs/app-jobs.js';
import { body, HttpError } from '../validate.js';
import type { SchoolTokenPurpose } from './one-time.js';
import type { SchoolRepository } from './repository.js';
import {
  acceptInviteBody,
  type invitableRoles,
  inviteBody,
  passwordResetBody,
  passwordResetConfirmBody,
  signupBody,
  tokenBody,
} from './schemas.js';
import type { TokenClaims } from './tokens.js';

export interface AccountDeps {
  repo: SchoolRepository;
  oneTimeTokens: OneTimeTokens<SchoolTokenPurpose>;
  jobs: Pick<AppJobQueues, 'add'>;
  /** Per recipient address; absent with RATE_LIMIT_ENABLED=false. */
  mailLimiter: Limiter | undefined;
  /** Per client address, on signup. */
  signupLimiter: RequestHandler;
  /** Where a request's Idempotency-Key keeps its first answer. */
  idempotency: IdempotencyStore;
  blacklist: TokenBlacklist;
  refreshTokens: RefreshTokens;
  authenticated: RequestHandler[];
  claims(req: Request): TokenClaims;
}

/** Self-service accounts get the least-privileged role with a dashboard; staff are invited. */
const SIGNUP_ROLE: SchoolRole = 'parent';

const invalidToken = () =>
  new HttpError(
    400,
    'invalid_token',
    'Unknown, already used or expired token: ask for a new e-mail',
  );

const limited = (message: string, retryAfterMs: number) =>
  new HttpError(429, 'E_RATELIMIT_LIMITED', message, {
    'Retry-After': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
  });

/** The e-mail job's key: one job per token, whatever retries the enqueue goes through. */
const keyFor = (template: string, token: string) =>
  `${template}:${createHash('sha256').update(token).digest('hex').slice(0, 32)}`;

/**
 * Signup with e-mail verification, password reset and staff invites on one-time tokens; every
 * e-mail goes through the `email` queue. The account is created when its link is used: until
 * then the name and password hash wait in the token's data (Redis, the token's TTL), so an
 * address nobody verifies never becomes a row. Answers do not say whether an address has an
 * account (signup and reset answer 202 either way; a signup for a taken address mails its owner).
 */
export function accountRoutes({
  repo,
  oneTimeTokens,
  jobs,
  mailLimiter,
  signupLimiter,
  idempotency,
  blacklist,
  refreshTokens,
  authenticated,
  claims,
}: AccountDeps): Router {
  const router = Router();
  // A retried request with the same Idempotency-Key gets the first answer and issues no second
  // token or e-mail (a second reset token would even void the e-mailed one). Before the limiters:
  // a replay spends no signup or e-mail budget. The fingerprint is the address (and what else the
  // request decides), never the password.
  const once = (scope: string | ((req: Request) => string), ...fields: string[]) =>
    idempotent(idempotency, {
      scope,
      fingerprint: (req) => fields.map((f) => bodyField(req, f)).join('\n'),
    });

  /** Counts one e-mail to `address`; a 429 when its hourly budget is spent (nothing is issued). */
  const spendMailBudget = async (address: string) => {
    if (!mailLimiter) return;
    const decision = await mailLimiter.consume(address);
    if (!decision.allowed)
      throw limited(
        `At most ${mailLimiter.limit} e-mails per ${Math.round(mailLimiter.windowMs / 60_000)} min to one address; try again later`,
        decision.retryAfterMs,
      );
  };
  const issue = async (purpose: SchoolTokenPurpose, subject: string, data?: object) => {
    try {
      return await oneTimeTokens.issue(purpose, subject, data as never);
    } catch (error) {
      if (error instanceof TokensLimitedError)
        throw limited(error.message, error.retryAfterSeconds * 1000);
      throw error;
    }
  };
  const mail = (template: string, to: string, subject: string, lines: string[], token?: string) =>
    jobs.add(
      'email',
      { to, subject, text: lines.join('\n'), template },
      token ? { key: keyFor(template, token) } : {},
    );

  router.post(
    '/auth/signup',
    once('school-signup', 'email', 'name'),
    signupLimiter,
    async (req, res) => {
      const { email, name, password } = body(req, signupBody);
      const address = email.toLowerCase();
      await spendMailBudget(address);
      // hashed either way: the answer's timing does not tell whether the address has an account
      const passwordHash = await hashPassword(password);
      if (await repo.findUserByEmail(address)) {
        await mail('signup-existing', address, 'You already have an account', [
          'Someone (you?) tried to create an account with this address, which already has one.',
          'Forgot the password? POST /school/auth/password-reset {"email": "…"}',
        ]);
      } else {
        const token = await issue('email-verify', address, { name, passwordHash });
        await mail(
          'email-verify',
          address,
          'Confirm your e-mail address',
          [
            `Hello ${name},`,
            'confirm your address within 24 hours to activate your account:',
            `POST /school/auth/verify-email {"token": "${token}"}`,
            `token: ${token}`,
          ],
          token,
        );
      }
      res.status(202).json({
        status: 'queued',
        message:
          'A confirmation e-mail is on its way: use its token with POST /school/auth/verify-email',
      });
    },
  );

  router.post('/auth/verify-email', async (req, res) => {
    const { token } = body(req, tokenBody);
    // atomic: of two requests with the same token (two tabs, two instances) exactly one gets it
    const grant = await oneTimeTokens.consume('email-verify', token);
    if (!grant) throw invalidToken();
    const data = grant.data as { name: string; passwordHash: string };
    // the address got an account in the meantime (a second signup verified first): 409
    const user = await repo.createUser({
      email: grant.subject,
      name: data.name,
      role: SIGNUP_ROLE,
      passwordHash: data.passwordHash,
    });
    res.status(201).json({ user });
  });

  router.post('/auth/password-reset', once('school-password-reset', 'email'), async (req, res) => {
    const { email } = body(req, passwordResetBody);
    const address = email.toLowerCase();
    // spent whether or not the address has an account, so a 429 tells nothing either
    await spendMailBudget(address);
    const user = await repo.findUserByEmail(address);
    if (user) {
      // `single`: this token voids every older reset token of the user
      const token = await issue('password-reset', String(user.id));
      await mail(
        'password-reset',
        address,
        'Reset your password',
        [
          `Hello ${user.name},`,
          'set a new password within 1 hour (only the latest reset e-mail works):',
          `POST /school/auth/password-reset/confirm {"token": "${token}", "password": "…"}`,
          `token: ${token}`,
        ],
        token,
      );
    }
    res.status(202).json({
      status: 'queued',
      message: 'If an account uses this address, a reset e-mail is on its way',
    });
  });

  router.post('/auth/password-reset/confirm', async (req, res) => {
    const { token, password } = body(req, passwordResetConfirmBody);
    const grant = await oneTimeTokens.consume('password-reset', token);
    if (!grant) throw invalidToken();
    if (!(await repo.setPassword(Number(grant.subject), await hashPassword(password))))
      throw invalidToken();
    // whoever knew the old password is signed out everywhere
    await blacklist.revokeAllForUser(grant.subject);
    await refreshTokens.revokeAllForSubject(grant.subject).catch((error: unknown) => {
      if (!(error instanceof TokensUnavailableError)) throw error;
    });
    res.status(204).end();
  });

  router.post(
    '/invites',
    ...authenticated,
    // keys are per inviter: two admins' keys never meet
    once((req) => `school-invite:${claims(req).sub}`, 'email', 'role'),
    async (req, res) => {
      const auth = claims(req);
      if (auth.role !== 'super_admin' && auth.role !== 'school_admin')
        throw new HttpError(403, 'forbidden', 'Requires role school_admin or super_admin');
      const { email, role } = body(req, inviteBody);
      if (role === 'school_admin' && auth.role !== 'super_admin')
        throw new HttpError(403, 'forbidden', 'Only a super_admin may invite a school_admin');
      const address = email.toLowerCase();
      if (await repo.findUserByEmail(address))
        throw new HttpError(409, 'conflict', 'This address already has an account');
      await spendMailBudget(address);
      const token = await issue('invite', address, { role, invitedBy: Number(auth.sub) });
      await mail(
        'invite',
        address,
        `You are invited to the school as ${role}`,
        [
          `You have been invited as ${role}. Accept within 7 days:`,
          `POST /school/auth/accept-invite {"token": "${token}", "name": "…", "password": "…"}`,
          `token: ${token}`,
        ],
        token,
      );
      res.status(202).json({ status: 'queued', email: address, role });
    },
  );

  router.post('/auth/accept-invite', async (req, res) => {
    const { token, name, password } = body(req, acceptInviteBody);
    const grant = await oneTimeTokens.consume('invite', token);
    if (!grant) throw invalidToken();
    const { role } = grant.data as { role: (typeof invitableRoles)[number] };
    const user = await repo.createUser({
      email: grant.subject,
      name,
      role,
      passwordHash: await hashPassword(password),
    });
    res.status(201).json({ user });
  });

  return router;
}
