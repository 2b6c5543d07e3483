import { type Kysely, sql } from 'kysely';
import { hashPassword } from './password.js';
import type { Database } from './schema.js';

export const DEMO_PASSWORD = 'demo-password';

/** The named demo accounts (password `DEMO_PASSWORD`); the start banner and /docs list them. */
export const DEMO_SCHOOL_USERS: readonly {
  email: string;
  name: string;
  role: Database['school_users']['role'];
}[] = [
  { email: 'root@school.test', name: 'Sam Root', role: 'super_admin' },
  { email: 'admin@school.test', name: 'Ada Admin', role: 'school_admin' },
  { email: 'teacher@school.test', name: 'Tom Teacher', role: 'teacher' },
  { email: 'office@school.test', name: 'Olga Office', role: 'staff' },
  { email: 'student@school.test', name: 'Stu Dent', role: 'student' },
  { email: 'parent@school.test', name: 'Pat Parent', role: 'parent' },
];
export const DEMO_CARERS: readonly { email: string; name: string }[] = [
  { email: 'carer@care.test', name: 'Cara Carer' },
  { email: 'nurse@care.test', name: 'Nate Nurse' },
];

/** One demo login per dental role (password `DEMO_PASSWORD`). */
export const DEMO_DENTAL_STAFF: readonly { email: string; name: string; role: string }[] = [
  { email: 'alice@dental.test', name: 'Dr. Alice Moreno', role: 'dentist' },
  { email: 'carla@dental.test', name: 'Carla Jones', role: 'hygienist' },
  { email: 'eva@dental.test', name: 'Eva Lind', role: 'receptionist' },
  { email: 'admin@dental.test', name: 'Ada Admin', role: 'admin' },
];

export interface SeedSize {
  patients: number;
  appointments: number;
}

export const DEFAULT_SEED: SeedSize = { patients: 5_000, appointments: 40_000 };

/**
 * Deterministic demo data, generated in SQL (generate_series) so thousands of rows load in
 * about a second. Skips when patients already exist, so a real PostgreSQL is seeded once.
 */
export async function seedDemoData(
  db: Kysely<Database>,
  size: SeedSize = DEFAULT_SEED,
): Promise<boolean> {
  const existing = await db
    .selectFrom('patients')
    .select(db.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  if (Number(existing.n) > 0) {
    await seedDentalLogins(db);
    return false;
  }
  const first = sql.raw(
    `(array['Ana','Ben','Chloe','Dev','Elif','Femi','Grace','Hugo','Ines','Jon','Kai','Lena','Mo','Nia','Omar','Pia','Quinn','Rosa','Sam','Tara'])`,
  );
  const last = sql.raw(
    `(array['Silva','Okafor','Nguyen','Smith','Kowalski','Haddad','Garcia','Ito','Brown','Novak','Khan','Murphy','Rossi','Larsen','Mensah'])`,
  );
  const passwordHash = await hashPassword(DEMO_PASSWORD);

  await sql`insert into staff (name, role, email) values
    ('Dr. Alice Moreno', 'dentist', 'alice@dental.test'), ('Dr. Bilal Aziz', 'dentist', 'bilal@dental.test'),
    ('Carla Jones', 'hygienist', 'carla@dental.test'), ('Dan Wu', 'hygienist', 'dan@dental.test'),
    ('Eva Lind', 'receptionist', 'eva@dental.test'), ('Ada Admin', 'admin', 'admin@dental.test')`.execute(
    db,
  );
  await seedDentalLogins(db, passwordHash);
  await sql`insert into patients (first_name, last_name, email, phone, date_of_birth, created_at, updated_at)
    select ${first}[1 + (i % 20)], ${last}[1 + ((i / 20) % 15)], 'patient' || i || '@example.test',
      '+1-555-' || lpad((i % 10000)::text, 4, '0'), date '1950-01-01' + (i * 37 % 25000),
      now() - (i % 900) * interval '1 day', now() - (i % 300) * interval '1 day'
    from generate_series(1, ${size.patients}) as i`.execute(db);
  // Appointments spread from 180 days ago to 60 days ahead, including today, 08:00-17:30.
  await sql`insert into appointments (patient_id, staff_id, starts_at, duration_min, status, reason)
    select 1 + (i * 7919 % ${size.patients}), 1 + (i % 4),
      date_trunc('day', now()) + ((i % 240) - 180) * interval '1 day' + (8 * 60 + (i * 30 % 570)) * interval '1 minute',
      (array[30, 45, 60])[1 + (i % 3)],
      case when (i % 240) < 180 then (case when i % 11 = 0 then 'cancelled' else 'completed' end) else 'scheduled' end,
      (array['check-up','cleaning','filling','root canal','crown','whitening','x-ray'])[1 + (i % 7)]
    from generate_series(1, ${size.appointments}) as i`.execute(db);
  await sql`insert into treatments (patient_id, appointment_id, code, description, cost_cents, performed_at)
    select a.patient_id, a.id, (array['D0120','D1110','D2391','D3310','D2740'])[1 + (a.id % 5)],
      a.reason, 5000 + (a.id * 131 % 95000), a.starts_at
    from appointments a where a.status = 'completed' and a.id % 2 = 0`.execute(db);
  await sql`insert into invoices (patient_id, amount_cents, status, issued_at, paid_at)
    select t.patient_id, t.cost_cents, case when t.id % 5 = 0 then 'open' else 'paid' end, t.performed_at,
      case when t.id % 5 = 0 then null else t.performed_at + interval '7 days' end
    from treatments t`.execute(db);

  await sql`insert into school_roles (name, description, permissions) values
    ('super_admin', 'Runs the platform', 'schools:*,users:*,reports:*'),
    ('school_admin', 'Runs one school', 'users:*,classes:*,reports:read'),
    ('teacher', 'Teaches classes', 'classes:read,grades:write'),
    ('staff', 'School office', 'users:read,classes:read'),
    ('student', 'Attends classes', 'grades:read:self'),
    ('parent', 'Guardian of students', 'grades:read:children')`.execute(db);
  const schoolUsers = DEMO_SCHOOL_USERS;
  await db
    .insertInto('school_users')
    .values(schoolUsers.map((u) => ({ ...u, password_hash: passwordHash })))
    .execute();
  await sql`insert into school_users (email, name, role, password_hash)
    select 'student' || i || '@school.test', ${first}[1 + (i % 20)] || ' ' || ${last}[1 + (i % 15)], 'student', ${passwordHash}
    from generate_series(1, 600) as i`.execute(db);
  await sql`insert into school_classes (name, teacher_id)
    select 'Class ' || i, (select id from school_users where email = 'teacher@school.test') from generate_series(1, 20) as i`.execute(
    db,
  );
  await sql`insert into enrollments (class_id, student_id)
    select c.id, u.id from school_classes c join school_users u on u.role = 'student' and (u.id + c.id) % 4 = 0`.execute(
    db,
  );
  await sql`insert into guardians (parent_id, student_id)
    select (select id from school_users where email = 'parent@school.test'), id from school_users
    where email in ('student@school.test', 'student1@school.test')`.execute(db);
  await sql`insert into grades (student_id, class_id, score, recorded_at)
    select e.student_id, e.class_id, 40 + ((e.student_id * 31 + e.class_id * 17 + g) % 61), now() - g * interval '7 days'
    from enrollments e cross join generate_series(1, 6) as g`.execute(db);

  await db
    .insertInto('carers')
    .values(DEMO_CARERS.map((c) => ({ ...c, password_hash: passwordHash })))
    .execute();
  await sql`insert into care_clients (carer_id, name, address, care_level)
    select 1 + (i % 2), ${first}[1 + (i % 20)] || ' ' || ${last}[1 + (i % 15)], i || ' Harbour Road',
      (array['low','medium','high'])[1 + (i % 3)]
    from generate_series(1, 200) as i`.execute(db);
  return true;
}

/**
 * Every staff row without a password gets the demo one, and the admin exists: a database seeded
 * before dental logins existed can sign in after an upgrade.
 */
async function seedDentalLogins(db: Kysely<Database>, hash?: string): Promise<void> {
  await sql`insert into staff (name, role, email) values ('Ada Admin', 'admin', 'admin@dental.test')
    on conflict (email) do nothing`.execute(db);
  const missing = await db
    .selectFrom('staff')
    .select('id')
    .where('password_hash', 'is', null)
    .executeTakeFirst();
  if (!missing) return;
  const passwordHash = hash ?? (await hashPassword(DEMO_PASSWORD));
  await db
    .updateTable('staff')
    .set({ password_hash: passwordHash })
    .where('password_hash', 'is', null)
    .execute();
}
