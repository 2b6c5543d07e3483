/**
 * Job data of the dental and care queues. Placeholders the clinical use cases refine: the job map
 * (types.ts) takes these types as they are, so changing a field here needs no edit there.
 */

/** A reminder sent before an appointment; scheduled at booking, moved or cancelled with it. */
export interface AppointmentReminderJob {
  appointmentId: number;
  patientId: number;
  /** ISO time of the appointment the reminder is for (a moved appointment gets a new job). */
  startsAt: string;
}

/** A check some days after a treatment that the patient is doing well. */
export interface FollowUpMonitorJob {
  treatmentId: number;
  patientId: number;
}

/** A medication due for a care client. */
export interface MedicationReminderJob {
  clientId: number;
  medication: string;
  /** ISO time the dose is due. */
  dueAt: string;
}

/** The daily adherence check of one care client (a repeatable job). */
export interface AdherenceCheckJob {
  clientId: number;
}

/** An appointment's status change, pushed to the care SSE alert stream. */
export interface AppointmentStatusJob {
  appointmentId: number;
  status: string;
  clientId?: number;
}
