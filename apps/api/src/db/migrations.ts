import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import type { Database } from './schema.js';

/** Migrations live in code (not files on disk) so the bundled app carries them. */
const migrations: Record<string, Migration> = {
  '001_dental': {
    async up(db) {
      await runStatements(
        db,
        `
        create table staff (id serial primary key, name text not null, role text not null, email text not null unique);
        create table patients (
          id serial primary key, first_name text not null, last_name text not null, email text not null unique,
          phone text not null, date_of_birth date not null,
          created_at timestamptz not null default now(), updated_at timestamptz not null default now());
        create table appointments (
          id serial primary key, patient_id int not null references patients(id) on delete cascade,
          staff_id int not null references staff(id), starts_at timestamptz not null,
          duration_min int not null default 30, status text not null default 'scheduled', reason text not null);
        create index appointments_starts_at on appointments (starts_at);
        create index appointments_patient on appointments (patient_id);
        create table treatments (
          id serial primary key, patient_id int not null references patients(id) on delete cascade,
          appointment_id int references appointments(id) on delete set null, code text not null,
          description text not null, cost_cents int not null, performed_at timestamptz not null default now());
        create index treatments_patient on treatments (patient_id);
        create table invoices (
          id serial primary key, patient_id int not null references patients(id) on delete cascade,
          amount_cents int not null, status text not null default 'open',
          issued_at timestamptz not null default now(), paid_at timestamptz);
        create index invoices_patient on invoices (patient_id);
      `,
      );
    },
  },
  '002_school': {
    async up(db) {
      await runStatements(
        db,
        `
        create table school_roles (name text primary key, description text not null, permissions text not null);
        create table school_users (id serial primary key, email text not null unique, name text not null,
          role text not null references school_roles(name), password_hash text not null);
        create table school_classes (id serial primary key, name text not null, teacher_id int not null references school_users(id));
        create table enrollments (class_id int not null references school_classes(id) on delete cascade,
          student_id int not null references school_users(id) on delete cascade, primary key (class_id, student_id));
        create table guardians (parent_id int not null references school_users(id) on delete cascade,
          student_id int not null references school_users(id) on delete cascade, primary key (parent_id, student_id));
        create table grades (id serial primary key, student_id int not null references school_users(id) on delete cascade,
          class_id int not null references school_classes(id) on delete cascade, score int not null,
          recorded_at timestamptz not null default now());
        create index grades_student on grades (student_id);
      `,
      );
    },
  },
  '003_care': {
    async up(db) {
      await runStatements(
        db,
        `
        create table carers (id serial primary key, email text not null unique, name text not null, password_hash text not null);
        create table care_clients (id serial primary key, carer_id int not null references carers(id),
          name text not null, address text not null, care_level text not null);
        create index care_clients_carer on care_clients (carer_id);
        create table care_alerts (id serial primary key, client_id int not null references care_clients(id) on delete cascade,
          carer_id int not null references carers(id), severity text not null, message text not null,
          created_at timestamptz not null default now());
      `,
      );
    },
  },
  // Writes (revocations) accepted while Redis was unavailable, replayed by any instance: see outbox.ts.
  '004_outbox': {
    async up(db) {
      await runStatements(
        db,
        `
        create table outbox (id text primary key, kind text not null, payload text not null,
          created_at bigint not null);
        create index outbox_created on outbox (created_at, id);
      `,
      );
    },
  },
  // Dental staff logins (dental/auth.ts) and the patient-record audit trail (dental/audit.ts).
  '005_dental_security': {
    async up(db) {
      await runStatements(
        db,
        `
        alter table staff add column password_hash text;
        create table dental_audit (id serial primary key, staff_id int not null references staff(id),
          staff_role text not null, patient_id int not null, action text not null, request_id text,
          at timestamptz not null default now());
        create index dental_audit_patient on dental_audit (patient_id, at);
        create index dental_audit_at on dental_audit (at);
      `,
      );
    },
  },
  // Background jobs of the dental and care use cases (dental/reminders.ts, dental/follow-ups.ts,
  // care/medication.ts, care/appointments.ts): what the jobs did, readable on the routes.
  '006_clinical_jobs': {
    async up(db) {
      await runStatements(
        db,
        `
        alter table appointments add column reminder_due_at timestamptz;
        alter table appointments add column idempotency_key text;
        create unique index appointments_idempotency_key on appointments (idempotency_key);
        create table dental_reminders (id serial primary key,
          appointment_id int not null references appointments(id) on delete cascade,
          starts_at timestamptz not null, channel text not null, recipient text not null,
          sent_at timestamptz not null default now(), unique (appointment_id, starts_at));
        create table dental_follow_ups (id serial primary key,
          treatment_id int not null unique references treatments(id) on delete cascade,
          patient_id int not null references patients(id) on delete cascade, due_at timestamptz not null,
          checked_at timestamptz, outcome text, appointment_id int references appointments(id) on delete set null);
        create index dental_follow_ups_patient on dental_follow_ups (patient_id);
        create table care_medications (id serial primary key,
          client_id int not null references care_clients(id) on delete cascade, name text not null,
          dose text not null, times text not null, starts_on date not null,
          created_at timestamptz not null default now());
        create index care_medications_client on care_medications (client_id);
        create table care_doses (medication_id int not null references care_medications(id) on delete cascade,
          dose_at timestamptz not null, reminded_at timestamptz, taken_at timestamptz,
          taken_by int references carers(id), primary key (medication_id, dose_at));
        create table care_adherence (client_id int not null references care_clients(id) on delete cascade,
          day date not null, due int not null, taken int not null,
          checked_at timestamptz not null default now(), primary key (client_id, day));
        create table care_appointments (id serial primary key,
          client_id int not null references care_clients(id) on delete cascade, title text not null,
          starts_at timestamptz not null, status text not null default 'scheduled',
          updated_at timestamptz not null default now());
        create index care_appointments_client on care_appointments (client_id, starts_at);
      `,
      );
    },
  },
  // The first answer of a request sent with an Idempotency-Key, for routes without a row of
  // their own to carry the key (school signup, password reset, invites: src/idempotency.ts).
  '007_idempotency_keys': {
    async up(db) {
      await runStatements(
        db,
        `
        create table idempotency_keys (scope text not null, key text not null,
          fingerprint text not null, status int, response text, created_at timestamptz not null,
          primary key (scope, key));
        create index idempotency_keys_created_at on idempotency_keys (created_at);
      `,
      );
    },
  },
  // A booking's Idempotency-Key on its row, with what the request was and when (src/idempotency.ts):
  // a retry after an error answer finds the row only within the key's window and for the same
  // request. Rows keyed before this have no time: their keys count as expired.
  '008_appointment_idempotency': {
    async up(db) {
      await runStatements(
        db,
        `
        alter table appointments add column idempotency_fingerprint text;
        alter table appointments add column idempotency_at timestamptz;
      `,
      );
    },
  },
};

/** PGlite's extended protocol takes one statement per query, so split on statement ends. */
async function runStatements(db: Kysely<unknown>, script: string): Promise<void> {
  for (const statement of script
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    await sql.raw(statement).execute(db);
  }
}

const provider: MigrationProvider = { getMigrations: async () => migrations };

export async function migrateToLatest(db: Kysely<Database>): Promise<void> {
  const migrator = new Migrator({ db, provider });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(
      `database migration ${failed?.migrationName ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
