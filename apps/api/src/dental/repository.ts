import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema.js';
import { IDEMPOTENCY_WINDOW_MS } from '../idempotency.js';

export interface Page<T> {
  items: T[];
  page: number;
  limit: number;
  total: number;
}

export interface PatientInput {
  firstName: string;
  lastName: string;
  email: string;
  phone: string;
  dateOfBirth: string;
}

export interface AppointmentInput {
  patientId: number;
  staffId: number;
  startsAt: string;
  durationMin: number;
  reason: string;
}

const patientColumns = [
  'id',
  'first_name as firstName',
  'last_name as lastName',
  'email',
  'phone',
  sql<string>`to_char(date_of_birth, 'YYYY-MM-DD')`.as('dateOfBirth'),
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const;

const appointmentColumns = [
  'appointments.id',
  'appointments.patient_id as patientId',
  'appointments.staff_id as staffId',
  'appointments.starts_at as startsAt',
  'appointments.duration_min as durationMin',
  'appointments.status',
  'appointments.reason',
] as const;

export interface AppointmentRow {
  id: number;
  patientId: number;
  staffId: number;
  startsAt: Date;
  durationMin: number;
  status: 'scheduled' | 'completed' | 'cancelled';
  reason: string;
}

/** Every dental query in one place; routes never write SQL. */
export function dentalRepository(db: Kysely<Database>) {
  return {
    async listPatients(page: number, limit: number) {
      const [items, total] = await Promise.all([
        db
          .selectFrom('patients')
          .select(patientColumns)
          .orderBy('id')
          .limit(limit)
          .offset((page - 1) * limit)
          .execute(),
        db
          .selectFrom('patients')
          .select(db.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow(),
      ]);
      return { items, page, limit, total: Number(total.n) };
    },
    getPatient(id: number) {
      return db
        .selectFrom('patients')
        .select(patientColumns)
        .where('id', '=', id)
        .executeTakeFirst();
    },
    createPatient(input: PatientInput) {
      return db
        .insertInto('patients')
        .values({
          first_name: input.firstName,
          last_name: input.lastName,
          email: input.email,
          phone: input.phone,
          date_of_birth: input.dateOfBirth,
        })
        .returning(patientColumns)
        .executeTakeFirstOrThrow();
    },
    updatePatient(id: number, input: Partial<PatientInput>) {
      return db
        .updateTable('patients')
        .set({
          ...(input.firstName !== undefined ? { first_name: input.firstName } : {}),
          ...(input.lastName !== undefined ? { last_name: input.lastName } : {}),
          ...(input.email !== undefined ? { email: input.email } : {}),
          ...(input.phone !== undefined ? { phone: input.phone } : {}),
          ...(input.dateOfBirth !== undefined ? { date_of_birth: input.dateOfBirth } : {}),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returning(patientColumns)
        .executeTakeFirst();
    },
    async deletePatient(id: number) {
      const result = await db.deleteFrom('patients').where('id', '=', id).executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    appointmentsOn(date: string) {
      return db
        .selectFrom('appointments')
        .select(appointmentColumns)
        .where(
          sql<boolean>`appointments.starts_at >= ${date}::date and appointments.starts_at < ${date}::date + interval '1 day'`,
        )
        .orderBy('appointments.starts_at')
        .execute();
    },
    getAppointment(id: number) {
      return db
        .selectFrom('appointments')
        .select(appointmentColumns)
        .where('appointments.id', '=', id)
        .executeTakeFirst();
    },
    /**
     * With `idempotency`, the row carries the key, the request's fingerprint and the time: a
     * second booking under the same key within IDEMPOTENCY_WINDOW_MS inserts nothing and returns
     * the first one (`existing`), concurrent retries included (the unique index decides), or
     * `other-request` when its fingerprint differs. An older key no longer names its row: it is
     * taken off it and the booking is made.
     */
    async createAppointment(
      input: AppointmentInput,
      idempotency?: { key: string; fingerprint: string },
    ): Promise<
      | { kind: 'created'; appointment: AppointmentRow }
      | { kind: 'existing'; appointment: AppointmentRow }
      | { kind: 'other-request' }
      | { kind: 'in-progress' }
    > {
      const at = new Date();
      // two rounds: a key taken off an expired row (by us or a concurrent retry) is free again
      for (let round = 0; round < 2; round++) {
        const inserted = await db
          .insertInto('appointments')
          .values({
            patient_id: input.patientId,
            staff_id: input.staffId,
            starts_at: input.startsAt,
            duration_min: input.durationMin,
            reason: input.reason,
            status: 'scheduled',
            idempotency_key: idempotency?.key ?? null,
            idempotency_fingerprint: idempotency?.fingerprint ?? null,
            idempotency_at: idempotency ? at : null,
          })
          .onConflict((oc) => oc.column('idempotency_key').doNothing())
          .returning(appointmentColumns)
          .executeTakeFirst();
        if (inserted) return { kind: 'created', appointment: inserted };
        if (!idempotency) break; // no key, no conflict: not reached
        const first = await db
          .selectFrom('appointments')
          .select([
            ...appointmentColumns,
            'appointments.idempotency_fingerprint as fingerprint',
            'appointments.idempotency_at as keyAt',
          ])
          .where('idempotency_key', '=', idempotency.key)
          .executeTakeFirst();
        if (!first) continue;
        const { fingerprint, keyAt, ...appointment } = first;
        if (keyAt === null || at.getTime() - new Date(keyAt).getTime() > IDEMPOTENCY_WINDOW_MS) {
          await db
            .updateTable('appointments')
            .set({ idempotency_key: null })
            .where('id', '=', first.id)
            .where('idempotency_key', '=', idempotency.key)
            .execute();
          continue;
        }
        if (fingerprint !== idempotency.fingerprint) return { kind: 'other-request' };
        return { kind: 'existing', appointment };
      }
      return { kind: 'in-progress' };
    },
    /** A status change and/or a move; undefined when there is no such appointment. */
    updateAppointment(
      id: number,
      change: { status?: 'scheduled' | 'completed' | 'cancelled'; startsAt?: string },
    ) {
      return db
        .updateTable('appointments')
        .set({
          ...(change.status !== undefined ? { status: change.status } : {}),
          ...(change.startsAt !== undefined ? { starts_at: change.startsAt } : {}),
        })
        .where('id', '=', id)
        .returning(['id', 'starts_at as startsAt', 'status', 'patient_id as patientId'])
        .executeTakeFirst();
    },
    treatmentsOf(patientId: number) {
      return db
        .selectFrom('treatments')
        .select([
          'id',
          'patient_id as patientId',
          'appointment_id as appointmentId',
          'code',
          'description',
          'cost_cents as costCents',
          'performed_at as performedAt',
        ])
        .where('patient_id', '=', patientId)
        .orderBy('performed_at', 'desc')
        .execute();
    },
    createTreatment(input: {
      patientId: number;
      appointmentId?: number | null;
      code: string;
      description: string;
      costCents: number;
    }) {
      return db.transaction().execute(async (trx) => {
        const treatment = await trx
          .insertInto('treatments')
          .values({
            patient_id: input.patientId,
            appointment_id: input.appointmentId ?? null,
            code: input.code,
            description: input.description,
            cost_cents: input.costCents,
          })
          .returning([
            'id',
            'patient_id as patientId',
            'code',
            'description',
            'cost_cents as costCents',
            'performed_at as performedAt',
          ])
          .executeTakeFirstOrThrow();
        const invoice = await trx
          .insertInto('invoices')
          .values({ patient_id: input.patientId, amount_cents: input.costCents, status: 'open' })
          .returning(['id', 'status', 'amount_cents as amountCents'])
          .executeTakeFirstOrThrow();
        return { treatment, invoice };
      });
    },
    invoicesOf(patientId: number) {
      return db
        .selectFrom('invoices')
        .select([
          'id',
          'patient_id as patientId',
          'amount_cents as amountCents',
          'status',
          'issued_at as issuedAt',
          'paid_at as paidAt',
        ])
        .where('patient_id', '=', patientId)
        .orderBy('issued_at', 'desc')
        .execute();
    },
    getInvoice(id: number) {
      return db
        .selectFrom('invoices')
        .select([
          'id',
          'patient_id as patientId',
          'amount_cents as amountCents',
          'status',
          'issued_at as issuedAt',
          'paid_at as paidAt',
        ])
        .where('id', '=', id)
        .executeTakeFirst();
    },
    payInvoice(id: number) {
      return db
        .updateTable('invoices')
        .set({ status: 'paid', paid_at: new Date() })
        .where('id', '=', id)
        .where('status', '=', 'open')
        .returning([
          'id',
          'patient_id as patientId',
          'status',
          'amount_cents as amountCents',
          'paid_at as paidAt',
        ])
        .executeTakeFirst();
    },
    findStaffByEmail(email: string) {
      return db
        .selectFrom('staff')
        .select(['id', 'name', 'role', 'email', 'password_hash as passwordHash'])
        .where('email', '=', email.toLowerCase())
        .executeTakeFirst();
    },
    listStaff() {
      return db.selectFrom('staff').select(['id', 'name', 'role', 'email']).orderBy('id').execute();
    },
    /** Deliberately heavy aggregates (full scans over appointments, treatments and invoices). */
    async dashboardStats() {
      const [counts, revenue, busiest, byReason] = await Promise.all([
        sql<{
          patients: string;
          appointmentsToday: string;
          upcoming: string;
          cancelledRate: string;
        }>`
          select (select count(*) from patients) as patients,
            (select count(*) from appointments where starts_at >= date_trunc('day', now()) and starts_at < date_trunc('day', now()) + interval '1 day') as "appointmentsToday",
            (select count(*) from appointments where starts_at > now() and status = 'scheduled') as upcoming,
            (select round(100.0 * count(*) filter (where status = 'cancelled') / greatest(count(*), 1), 2) from appointments) as "cancelledRate"`.execute(
          db,
        ),
        sql<{ month: string; billedCents: string; paidCents: string; openCents: string }>`
          select to_char(date_trunc('month', issued_at), 'YYYY-MM') as month,
            sum(amount_cents) as "billedCents",
            sum(amount_cents) filter (where status = 'paid') as "paidCents",
            sum(amount_cents) filter (where status = 'open') as "openCents"
          from invoices group by 1 order by 1 desc limit 12`.execute(db),
        sql<{ staffId: number; name: string; completed: string; revenueCents: string }>`
          select s.id as "staffId", s.name, count(distinct a.id) as completed, coalesce(sum(t.cost_cents), 0) as "revenueCents"
          from staff s join appointments a on a.staff_id = s.id and a.status = 'completed'
          left join treatments t on t.appointment_id = a.id
          group by s.id, s.name order by completed desc`.execute(db),
        sql<{ reason: string; count: string; avgCostCents: string }>`
          select a.reason, count(*) as count, round(avg(t.cost_cents)) as "avgCostCents"
          from appointments a left join treatments t on t.appointment_id = a.id
          group by a.reason order by count desc`.execute(db),
      ]);
      const c = counts.rows[0];
      return {
        patients: Number(c?.patients ?? 0),
        appointmentsToday: Number(c?.appointmentsToday ?? 0),
        upcomingAppointments: Number(c?.upcoming ?? 0),
        cancelledRatePercent: Number(c?.cancelledRate ?? 0),
        revenueByMonth: revenue.rows.map((r) => ({
          month: r.month,
          billedCents: Number(r.billedCents),
          paidCents: Number(r.paidCents ?? 0),
          openCents: Number(r.openCents ?? 0),
        })),
        staffPerformance: busiest.rows.map((r) => ({
          staffId: r.staffId,
          name: r.name,
          completed: Number(r.completed),
          revenueCents: Number(r.revenueCents),
        })),
        byReason: byReason.rows.map((r) => ({
          reason: r.reason,
          count: Number(r.count),
          avgCostCents: Number(r.avgCostCents ?? 0),
        })),
        generatedAt: new Date().toISOString(),
      };
    },
  };
}

export type DentalRepository = ReturnType<typeof dentalRepository>;
