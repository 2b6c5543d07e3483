import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;

export interface StaffTable {
  id: Generated<number>;
  name: string;
  role: 'dentist' | 'hygienist' | 'receptionist' | 'admin';
  email: string;
  /** `null`: no login (a row from before dental logins; the seed sets the demo password). */
  password_hash: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface PatientsTable {
  id: Generated<number>;
  first_name: string;
  last_name: string;
  email: string;
  phone: string;
  date_of_birth: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AppointmentsTable {
  id: Generated<number>;
  patient_id: number;
  staff_id: number;
  starts_at: Timestamp;
  duration_min: number;
  status: 'scheduled' | 'completed' | 'cancelled';
  reason: string;
  /** When the appointment-reminder job is due; null: none planned (dental/reminders.ts). */
  reminder_due_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** The booking request's Idempotency-Key: a retried POST returns this row (within its window). */
  idempotency_key: ColumnType<string | null, string | null | undefined, string | null>;
  /** The hash of what the keyed request was: the same key for another request is a 422. */
  idempotency_fingerprint: ColumnType<string | null, string | null | undefined, string | null>;
  /** When the key was used; after IDEMPOTENCY_WINDOW_MS it no longer names this row. */
  idempotency_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface TreatmentsTable {
  id: Generated<number>;
  patient_id: number;
  appointment_id: number | null;
  code: string;
  description: string;
  cost_cents: number;
  performed_at: Timestamp;
}

export interface InvoicesTable {
  id: Generated<number>;
  patient_id: number;
  amount_cents: number;
  status: 'open' | 'paid' | 'void';
  issued_at: Timestamp;
  paid_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export type SchoolRole =
  | 'super_admin'
  | 'school_admin'
  | 'teacher'
  | 'staff'
  | 'student'
  | 'parent';

export interface SchoolRolesTable {
  name: SchoolRole;
  description: string;
  permissions: string;
}

export interface SchoolUsersTable {
  id: Generated<number>;
  email: string;
  name: string;
  role: SchoolRole;
  password_hash: string;
}

export interface SchoolClassesTable {
  id: Generated<number>;
  name: string;
  teacher_id: number;
}

export interface EnrollmentsTable {
  class_id: number;
  student_id: number;
}

export interface GuardiansTable {
  parent_id: number;
  student_id: number;
}

export interface GradesTable {
  id: Generated<number>;
  student_id: number;
  class_id: number;
  score: number;
  recorded_at: Timestamp;
}

export interface CarersTable {
  id: Generated<number>;
  email: string;
  name: string;
  password_hash: string;
}

export interface CareClientsTable {
  id: Generated<number>;
  carer_id: number;
  name: string;
  address: string;
  care_level: 'low' | 'medium' | 'high';
}

export interface CareAlertsTable {
  id: Generated<number>;
  client_id: number;
  carer_id: number;
  severity: 'info' | 'warning' | 'critical';
  message: string;
  created_at: Timestamp;
}

/** The toolkit's `Outbox` on the database (outbox.ts); `payload` is JSON text, `created_at` epoch ms. */
export interface OutboxTable {
  id: string;
  kind: string;
  payload: string;
  created_at: ColumnType<string | number, number, number>;
}

/** Who read which patient record (dental/audit.ts); cached reads are recorded too. */
export interface DentalAuditTable {
  id: Generated<number>;
  staff_id: number;
  staff_role: string;
  patient_id: number;
  action: string;
  request_id: string | null;
  at: Timestamp;
}

/** One appointment reminder sent (the appointment-reminder job), per appointment and start time. */
export interface DentalRemindersTable {
  id: Generated<number>;
  appointment_id: number;
  starts_at: Timestamp;
  channel: string;
  recipient: string;
  sent_at: Timestamp;
}

/** A follow-up planned after a treatment; the follow-up-monitor job fills in the outcome. */
export interface DentalFollowUpsTable {
  id: Generated<number>;
  treatment_id: number;
  patient_id: number;
  due_at: Timestamp;
  checked_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  outcome: 'booked' | 'call-patient' | null;
  appointment_id: number | null;
}

export interface CareMedicationsTable {
  id: Generated<number>;
  client_id: number;
  name: string;
  dose: string;
  /** Daily dose times, UTC `HH:MM`, comma-separated and sorted. */
  times: string;
  starts_on: string;
  created_at: Timestamp;
}

/** One scheduled dose: reminded (medication-reminder job) and/or taken (a carer's record). */
export interface CareDosesTable {
  medication_id: number;
  dose_at: Timestamp;
  reminded_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  taken_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  taken_by: number | null;
}

/** The adherence-check job's result for one client and UTC day. */
export interface CareAdherenceTable {
  client_id: number;
  day: string;
  due: number;
  taken: number;
  checked_at: Timestamp;
}

export interface CareAppointmentsTable {
  id: Generated<number>;
  client_id: number;
  title: string;
  starts_at: Timestamp;
  status: 'scheduled' | 'due' | 'completed' | 'cancelled';
  updated_at: Timestamp;
}

/** The first answer to a request with an Idempotency-Key (src/idempotency.ts). */
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  /** sha256 of what makes a repeat the same request (never a secret). */
  fingerprint: string;
  /** null while the first request runs. */
  status: ColumnType<number | null, number | null | undefined, number | null>;
  /** The JSON answer; null while the first request runs. */
  response: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: ColumnType<Date, Date | string, Date | string>;
}

export interface Database {
  staff: StaffTable;
  dental_audit: DentalAuditTable;
  patients: PatientsTable;
  appointments: AppointmentsTable;
  treatments: TreatmentsTable;
  invoices: InvoicesTable;
  school_roles: SchoolRolesTable;
  school_users: SchoolUsersTable;
  school_classes: SchoolClassesTable;
  enrollments: EnrollmentsTable;
  guardians: GuardiansTable;
  grades: GradesTable;
  carers: CarersTable;
  care_clients: CareClientsTable;
  care_alerts: CareAlertsTable;
  outbox: OutboxTable;
  dental_reminders: DentalRemindersTable;
  dental_follow_ups: DentalFollowUpsTable;
  care_medications: CareMedicationsTable;
  care_doses: CareDosesTable;
  care_adherence: CareAdherenceTable;
  care_appointments: CareAppointmentsTable;
  idempotency_keys: IdempotencyKeysTable;
}
