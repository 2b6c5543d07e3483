import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '../db/schema.js';
import type { auditQuery } from './auth-schemas.js';

/** What a read showed of a patient: the record itself, its clinical or its billing records. */
export type AuditAction =
  | 'patient'
  | 'patient-list'
  | 'treatments'
  | 'invoices'
  | 'invoice'
  // the reminders sent for an appointment (the patient's address) and the follow-ups after treatments
  | 'reminders'
  | 'follow-ups';

export interface AuditEntry {
  staffId: number;
  staffRole: string;
  action: AuditAction;
  requestId?: string | undefined;
}

/**
 * The patient-record audit trail. Rows are written by the route before it answers, whether the
 * cache or the database served the read: the cache decides where data comes from, never whether
 * its reading is recorded.
 */
export function auditRepository(db: Kysely<Database>) {
  return {
    async record(entry: AuditEntry, patientIds: readonly number[]): Promise<void> {
      if (patientIds.length === 0) return;
      await db
        .insertInto('dental_audit')
        .values(
          patientIds.map((patientId) => ({
            staff_id: entry.staffId,
            staff_role: entry.staffRole,
            patient_id: patientId,
            action: entry.action,
            request_id: entry.requestId ?? null,
          })),
        )
        .execute();
    },
    list(filter: z.infer<typeof auditQuery>) {
      let q = db
        .selectFrom('dental_audit')
        .innerJoin('staff', 'staff.id', 'dental_audit.staff_id')
        .select([
          'dental_audit.id',
          'dental_audit.staff_id as staffId',
          'staff.name as staffName',
          'dental_audit.staff_role as staffRole',
          'dental_audit.patient_id as patientId',
          'dental_audit.action',
          'dental_audit.request_id as requestId',
          'dental_audit.at',
        ])
        .orderBy('dental_audit.id', 'desc')
        .limit(filter.limit);
      if (filter.patientId !== undefined)
        q = q.where('dental_audit.patient_id', '=', filter.patientId);
      if (filter.staffId !== undefined) q = q.where('dental_audit.staff_id', '=', filter.staffId);
      return q.execute();
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepository>;
