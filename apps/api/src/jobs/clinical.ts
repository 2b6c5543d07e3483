import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { adherenceCheckHandler, careAdherence } from '../care/adherence.js';
import type { AlertHub } from '../care/alerts.js';
import { appointmentStatusHandler, careAppointments } from '../care/appointments.js';
import { careMedication, medicationReminderHandler } from '../care/medication.js';
import type { Database } from '../db/schema.js';
import { dentalFollowUps, followUpHandler } from '../dental/follow-ups.js';
import { appointmentReminderHandler, dentalReminders } from '../dental/reminders.js';
import type { AppJobQueues } from './app-jobs.js';

/** The env settings of the clinical jobs (env.ts), in milliseconds. */
export interface ClinicalJobSettings {
  /** DENTAL_REMINDER_LEAD: how long before an appointment its reminder goes out. */
  reminderLeadMs: number;
  /** DENTAL_FOLLOW_UP_AFTER: how long after a treatment the follow-up is checked. */
  followUpAfterMs: number;
  /** CARE_MEDICATION_REMINDER_LEAD: how long before a dose the carer is reminded. */
  medicationLeadMs: number;
  /** CARE_ADHERENCE_CRON: when the daily adherence check runs (UTC). */
  adherenceCron: string;
}

/**
 * The dental and care background jobs of one app instance: the services the routes call (they
 * schedule, move and cancel jobs) and the five handlers, registered on the app's queues (each
 * instance runs them unless WORKERS_ENABLED=false; inline with DISABLE_BACKGROUND_JOBS=true).
 * The daily adherence scheduler is stored from every instance; Redis keeps one.
 */
export function clinicalJobs(options: {
  db: Kysely<Database>;
  jobs: AppJobQueues;
  alerts: AlertHub;
  settings: ClinicalJobSettings;
  logger: Logger;
}) {
  const { db, jobs, alerts, settings } = options;
  const reminders = dentalReminders(db, jobs, settings.reminderLeadMs);
  const followUps = dentalFollowUps(db, jobs, settings.followUpAfterMs);
  const medication = careMedication(db, jobs, settings.medicationLeadMs);
  const adherence = careAdherence(db, jobs);
  const appointments = careAppointments(db, jobs);

  jobs.handle('appointment-reminder', appointmentReminderHandler(db));
  jobs.handle('follow-up-monitor', followUpHandler(db));
  jobs.handle('medication-reminder', medicationReminderHandler(db, alerts, medication));
  jobs.handle('adherence-check', adherenceCheckHandler(db, jobs, alerts, medication));
  jobs.handle('appointment-status', appointmentStatusHandler(db, alerts));
  const scheduler = adherence.startScheduler(settings.adherenceCron, options.logger);

  return {
    dental: { reminders, followUps },
    care: { medication, adherence, appointments },
    /** Stops storing the daily adherence scheduler (its 30 s retry while Redis is down): at shutdown. */
    stop: scheduler.stop,
  };
}

export type ClinicalJobs = ReturnType<typeof clinicalJobs>;
