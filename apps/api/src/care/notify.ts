import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { AlertHub, CareAlert } from './alerts.js';
import { careRepository } from './repository.js';

export interface JobAlert {
  clientId: number;
  severity: CareAlert['severity'];
  message: string;
}

/**
 * An alert raised by a background job (a dose due, doses missed, an appointment's status): stored
 * like a carer's own alert, for the client's carer, and pushed to their open SSE streams on every
 * instance through the alert hub. Undefined when the client no longer exists.
 */
export async function raiseJobAlert(
  db: Kysely<Database>,
  alerts: AlertHub,
  alert: JobAlert,
): Promise<CareAlert | undefined> {
  const client = await db
    .selectFrom('care_clients')
    .select('carer_id as carerId')
    .where('id', '=', alert.clientId)
    .executeTakeFirst();
  if (!client) return undefined;
  const row = await careRepository(db).createAlert({ ...alert, carerId: client.carerId });
  const stored = { ...row, createdAt: new Date(row.createdAt).toISOString() };
  await alerts.publish(stored);
  return stored;
}
