import { defineKeys } from '@redis-toolkit/cache';

/**
 * The dental guide's `CacheKeys`, built with `defineKeys` so every id is encoded (a crafted id can
 * neither collide with another key nor widen a pattern). With the cache's `dental:` prefix the
 * Redis keys are `dental:cache:patients:page:1:10`, `dental:cache:patient:42`, ...
 */
const patient = defineKeys('patient', { byId: (id: number) => [id] });
const patients = defineKeys('patients', {
  page: (page: number, limit: number) => ['page', page, limit],
});
const appointment = defineKeys('appointment', { byId: (id: number) => [id] });
const appointments = defineKeys('appointments', {
  onDate: (date: string) => [date],
  today: (date: string) => ['today', date],
});
const treatments = defineKeys('treatments', {
  ofPatient: (patientId: number) => ['patient', patientId],
});
const invoice = defineKeys('invoice', { byId: (id: number) => [id] });
const invoices = defineKeys('invoices', {
  ofPatient: (patientId: number) => ['patient', patientId],
});
const dashboard = defineKeys('dashboard', { stats: () => ['stats'] });

export const CacheKeys = {
  patient: patient.byId,
  patients: patients.page,
  appointment: appointment.byId,
  appointments: appointments.onDate,
  /** Keyed by the date too, so "today" can never serve yesterday's list after midnight. */
  todayAppointments: appointments.today,
  treatments: treatments.ofPatient,
  invoice: invoice.byId,
  invoices: invoices.ofPatient,
  dashboardStats: dashboard.stats,
} as const;

/** Cache TTLs from the dental guide's table. */
export const DentalTtl = {
  patients: '10m',
  patient: '10m',
  appointments: '5m',
  staff: '30m',
  dashboard: '5m',
  records: '10m',
} as const;

/**
 * Tags: each cached entry carries the tags of the data it was built from; each write invalidates
 * the tags of the data it changed, and nothing else.
 */
export const Tags = {
  patientList: 'patients:list',
  patient: (id: number) => `patient:${id}`,
  patientTreatments: (id: number) => `patient:${id}:treatments`,
  patientInvoices: (id: number) => `patient:${id}:invoices`,
  patientAppointments: (id: number) => `patient:${id}:appointments`,
  appointment: (id: number) => `appointment:${id}`,
  appointmentsOn: (date: string) => `appointments:${date}`,
  /** Every appointment list (a patient delete cascades into unknown dates). */
  appointmentLists: 'appointments:all',
  invoice: (id: number) => `invoice:${id}`,
  dashboard: 'dashboard',
  staff: 'staff',
} as const;
