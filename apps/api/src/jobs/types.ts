import type {
  AdherenceCheckJob,
  AppointmentReminderJob,
  AppointmentStatusJob,
  FollowUpMonitorJob,
  MedicationReminderJob,
} from './clinical-types.js';

/** One e-mail, rendered by the producer (school/account-routes.ts): the worker only delivers it. */
export interface EmailJob {
  to: string;
  subject: string;
  text: string;
  /** What it is (`email-verify`, `password-reset`, `invite`…), for the mail sink and logs. */
  template: string;
}

/** Every queue of the app and the data of its jobs: one map, so producers and handlers agree. */
export interface AppJobs {
  email: EmailJob;
  'appointment-reminder': AppointmentReminderJob;
  'follow-up-monitor': FollowUpMonitorJob;
  'medication-reminder': MedicationReminderJob;
  'adherence-check': AdherenceCheckJob;
  'appointment-status': AppointmentStatusJob;
}

export type AppQueueName = keyof AppJobs & string;

export type {
  AdherenceCheckJob,
  AppointmentReminderJob,
  AppointmentStatusJob,
  FollowUpMonitorJob,
  MedicationReminderJob,
};
