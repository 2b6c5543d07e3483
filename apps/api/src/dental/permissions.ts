/**
 * Who may call which /dental route: the one place the dental authorization lives. The routes
 * (routes.ts, audit.ts) look their entry up by the same key, the authorization matrix test walks
 * this table, and the README's matrix is written from it.
 *
 * - receptionists book and bill: patient demographics, appointments, invoices, the dashboard;
 *   never clinical records (treatments);
 * - hygienists read and write treatments, never invoices or the revenue dashboard;
 * - dentists: everything clinical (patients, treatments, appointments), not billing;
 * - admins: everything, and the audit trail.
 */
export const DENTAL_ROLES = ['dentist', 'hygienist', 'receptionist', 'admin'] as const;
export type DentalRole = (typeof DENTAL_ROLES)[number];

const ALL: readonly DentalRole[] = DENTAL_ROLES;
const CLINICAL: readonly DentalRole[] = ['dentist', 'hygienist', 'admin'];
const BILLING: readonly DentalRole[] = ['receptionist', 'admin'];
const FRONT_DESK: readonly DentalRole[] = ['receptionist', 'dentist', 'admin'];
const ADMIN: readonly DentalRole[] = ['admin'];

export const DENTAL_PERMISSIONS = {
  'GET /patients': ALL,
  'GET /patients/:id': ALL,
  'POST /patients': FRONT_DESK,
  'PATCH /patients/:id': FRONT_DESK,
  'DELETE /patients/:id': ADMIN,
  'GET /patients/:id/treatments': CLINICAL,
  'POST /patients/:id/treatments': CLINICAL,
  // whether the patient came back after a treatment (no clinical detail): the desk calls them
  'GET /patients/:id/follow-ups': ALL,
  'GET /patients/:id/invoices': BILLING,
  'GET /invoices/:id': BILLING,
  'POST /invoices/:id/pay': BILLING,
  'GET /appointments': ALL,
  'GET /appointments/today': ALL,
  'GET /appointments/:id': ALL,
  'POST /appointments': FRONT_DESK,
  'PATCH /appointments/:id': ALL,
  'GET /appointments/:id/reminders': ALL,
  'GET /staff': ALL,
  // revenue per month and per dentist: billing data
  'GET /dashboard/stats': FRONT_DESK,
  'GET /audit': ADMIN,
  // one's own sessions: every signed-in role
  'GET /auth/me': ALL,
  'GET /auth/sessions': ALL,
  'DELETE /auth/sessions/:id': ALL,
  'POST /auth/logout': ALL,
} as const satisfies Record<string, readonly DentalRole[]>;

export type DentalRoute = keyof typeof DENTAL_PERMISSIONS;

/** Routes that answer without a session. */
export const DENTAL_PUBLIC_ROUTES = ['POST /auth/login'] as const;

export const isDentalRole = (value: unknown): value is DentalRole =>
  typeof value === 'string' && (DENTAL_ROLES as readonly string[]).includes(value);

export function allowed(route: DentalRoute, role: DentalRole): boolean {
  return (DENTAL_PERMISSIONS[route] as readonly DentalRole[]).includes(role);
}
