import { int, isoDateTime } from '../openapi/common.js';
import { z } from '../openapi/zod.js';
import { email, secretText, text } from '../schemas/text.js';

/** School wire shapes: request schemas the routes validate with, response shapes for the document. */

export const roles = [
  'super_admin',
  'school_admin',
  'teacher',
  'staff',
  'student',
  'parent',
] as const;
const role = z.enum(roles);

export const loginBody = z
  .object({ email: email({ max: 200 }), password: secretText({ max: 200 }) })
  .openapi('SchoolLogin');
export const refreshBody = z
  .object({ refreshToken: z.string().min(10).max(4096) })
  .openapi('RefreshInput');
export const logoutBody = z
  .object({ refreshToken: z.string().min(10).max(4096).optional() })
  .openapi('LogoutInput');
export const roleParams = z.object({ name: role });
export const permissionsBody = z
  .object({
    permissions: z
      .array(
        z
          .string()
          .max(100)
          .regex(/^[a-z*]+(:[a-z*]+)*$/, 'expected scope:action'),
      )
      .min(1)
      .max(50),
  })
  .openapi('PermissionsInput');
export const gradeBody = z
  .object({
    studentId: z.number().int().positive(),
    classId: z.number().int().positive(),
    score: z.number().int().min(0).max(100),
  })
  .openapi('GradeInput');

// ---- responses ----
const tokenFields = {
  accessToken: z.string(),
  refreshToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: int.openapi({ description: 'Access-token lifetime in seconds', example: 900 }),
};
export const TokenPair = z.strictObject(tokenFields).openapi('TokenPair');
export const LoginResult = z
  .strictObject({
    ...tokenFields,
    user: z.strictObject({ id: int, name: z.string(), role }),
  })
  .openapi('SchoolLoginResult');
export const LogoutAllResult = z
  .strictObject({
    revokedBefore: isoDateTime
      .nullable()
      .openapi({ description: 'Tokens issued before this instant are revoked' }),
  })
  .openapi('LogoutAllResult');
export const Role = z
  .strictObject({ name: role, description: z.string(), permissions: z.array(z.string()) })
  .openapi('Role');
export const Me = z
  .strictObject({
    id: int,
    email: z.email(),
    name: z.string(),
    role,
    permissions: z.array(z.string()),
  })
  .openapi('SchoolMe');
export const Grade = z
  .strictObject({ id: int, studentId: int, classId: int, score: int, recordedAt: isoDateTime })
  .openapi('Grade');

const gradeSummary = z.strictObject({
  studentId: int,
  classId: int,
  className: z.string(),
  averageScore: z.number(),
  latestScore: int,
});
const dashboardBase = {
  userId: int,
  permissions: z.array(z.string()),
  generatedAt: isoDateTime,
};
export const Dashboard = z
  .union([
    z.strictObject({
      ...dashboardBase,
      role: z.enum(['super_admin', 'school_admin', 'staff']),
      usersByRole: z.record(z.string(), int),
      classes: int,
      enrollments: int,
      averageScore: z.number(),
      gradesLast30Days: int,
    }),
    z.strictObject({
      ...dashboardBase,
      role: z.literal('teacher'),
      classes: z.array(
        z.strictObject({ id: int, name: z.string(), students: int, averageScore: z.number() }),
      ),
    }),
    z.strictObject({ ...dashboardBase, role: z.literal('student'), grades: z.array(gradeSummary) }),
    z.strictObject({
      ...dashboardBase,
      role: z.literal('parent'),
      children: z.array(gradeSummary),
    }),
  ])
  .openapi('SchoolDashboard', { description: 'What the signed-in role sees' });

// ---- accounts: signup, e-mail verification, password reset, invites (account-routes.ts) ----
/** The opaque one-time token from an e-mail (`<22>.<43>` base64url characters). */
const oneTimeToken = z
  .string()
  .min(20)
  .max(200)
  .regex(/^[A-Za-z0-9_.-]+$/, 'expected the token from the e-mail');
/** New passwords: at least 10 characters (the seed's demo password is 13). */
const newPassword = secretText({ max: 200 }).refine((p) => p.length >= 10, {
  message: 'must be at least 10 characters',
});
const personName = text({ max: 100 });

export const signupBody = z
  .object({ email: email({ max: 200 }), name: personName, password: newPassword })
  .openapi('SchoolSignup');
export const tokenBody = z.object({ token: oneTimeToken }).openapi('OneTimeTokenInput');
export const passwordResetBody = z
  .object({ email: email({ max: 200 }) })
  .openapi('PasswordResetRequest');
export const passwordResetConfirmBody = z
  .object({ token: oneTimeToken, password: newPassword })
  .openapi('PasswordResetConfirm');
/** Who an admin may invite: staff accounts (students and parents sign up or are enrolled). */
export const invitableRoles = ['school_admin', 'teacher', 'staff'] as const;
export const inviteBody = z
  .object({ email: email({ max: 200 }), role: z.enum(invitableRoles) })
  .openapi('SchoolInvite');
export const acceptInviteBody = z
  .object({ token: oneTimeToken, name: personName, password: newPassword })
  .openapi('AcceptInvite');

export const MailQueued = z
  .strictObject({
    status: z.literal('queued'),
    message: z.string(),
  })
  .openapi('MailQueued', {
    description:
      'The e-mail is queued (or, for an address with no account, nothing is sent: the answer is the same)',
  });
export const InviteQueued = z
  .strictObject({ status: z.literal('queued'), email: z.email(), role: z.enum(invitableRoles) })
  .openapi('InviteQueued');
export const AccountCreated = z
  .strictObject({ user: z.strictObject({ id: int, email: z.email(), name: z.string(), role }) })
  .openapi('SchoolAccountCreated');
