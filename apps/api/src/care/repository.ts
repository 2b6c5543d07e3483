import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';

export function careRepository(db: Kysely<Database>) {
  return {
    findCarerByEmail(email: string) {
      return db
        .selectFrom('carers')
        .select(['id', 'email', 'name', 'password_hash as passwordHash'])
        .where('email', '=', email.toLowerCase())
        .executeTakeFirst();
    },
    clientsOf(carerId: number) {
      return db
        .selectFrom('care_clients')
        .select(['id', 'name', 'address', 'care_level as careLevel'])
        .where('carer_id', '=', carerId)
        .orderBy('id')
        .execute();
    },
    clientOf(carerId: number, clientId: number) {
      return db
        .selectFrom('care_clients')
        .select(['id', 'name'])
        .where('carer_id', '=', carerId)
        .where('id', '=', clientId)
        .executeTakeFirst();
    },
    updateCareLevel(carerId: number, clientId: number, careLevel: 'low' | 'medium' | 'high') {
      return db
        .updateTable('care_clients')
        .set({ care_level: careLevel })
        .where('carer_id', '=', carerId)
        .where('id', '=', clientId)
        .returning(['id', 'name', 'address', 'care_level as careLevel'])
        .executeTakeFirst();
    },
    createAlert(input: {
      clientId: number;
      carerId: number;
      severity: 'info' | 'warning' | 'critical';
      message: string;
    }) {
      return db
        .insertInto('care_alerts')
        .values({
          client_id: input.clientId,
          carer_id: input.carerId,
          severity: input.severity,
          message: input.message,
        })
        .returning([
          'id',
          'client_id as clientId',
          'carer_id as carerId',
          'severity',
          'message',
          'created_at as createdAt',
        ])
        .executeTakeFirstOrThrow();
    },
  };
}

export type CareRepository = ReturnType<typeof careRepository>;
