/**
 * Job data of the dental and care queues (the job map in types.ts takes these as they are). Ids
 * and times only: the handlers read the rows when they run, so a job sees the latest state (a
 * moved appointment, a deleted medication) and no patient or client data sits in Redis.
 */

/** A reminder before a dental appointment (dental/reminders.ts); key `appointment:<id>`. */
export interface AppointmentReminderJob {
  appointmentId: number;
}

/** Whether the patient booked again after a treatment (dental/follow-ups.ts); key `treatment:<id>`. */
export interface FollowUpMonitorJob {
  treatmentId: number;
}

/** One dose of a care client's medication (care/medication.ts); key `medication:<id>:<doseAt ms>`. */
export interface MedicationReminderJob {
  medicationId: number;
  /** ISO time of the dose. */
  doseAt: string;
}

/**
 * The adherence check (care/adherence.ts). Without `clientId`: the daily scheduler's tick, which
 * enqueues one check per client (key `adherence:<clientId>:<day>`) for yesterday.
 */
export interface AdherenceCheckJob {
  clientId?: number;
  /** UTC day `YYYY-MM-DD`; default yesterday for the tick, today for a client's check. */
  day?: string;
}

/** A care appointment's status, pushed to the carer's SSE alert stream (care/appointments.ts). */
export interface AppointmentStatusJob {
  appointmentId: number;
  status: 'due' | 'completed' | 'cancelled';
}
