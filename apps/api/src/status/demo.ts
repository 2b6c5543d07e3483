import { DEMO_CARERS, DEMO_DENTAL_STAFF, DEMO_PASSWORD, DEMO_SCHOOL_USERS } from '../db/seed.js';

export interface DemoAccount {
  useCase: 'dental' | 'school' | 'care';
  email: string;
  role: string;
  login: string;
}

/** The seeded accounts a newcomer can sign in with (development only: shown in /docs and the banner). */
export function demoAccounts(): { password: string; accounts: DemoAccount[] } {
  return {
    password: DEMO_PASSWORD,
    accounts: [
      ...DEMO_DENTAL_STAFF.map((u) => ({
        useCase: 'dental' as const,
        email: u.email,
        role: u.role,
        login: 'POST /dental/auth/login',
      })),
      ...DEMO_SCHOOL_USERS.map((u) => ({
        useCase: 'school' as const,
        email: u.email,
        role: u.role,
        login: 'POST /school/auth/login',
      })),
      ...DEMO_CARERS.map((c) => ({
        useCase: 'care' as const,
        email: c.email,
        role: 'carer',
        login: 'POST /care/auth/login',
      })),
    ],
  };
}

/** Markdown for the docs page (Swagger UI renders `info.description`). */
export function demoMarkdown(): string {
  const { password, accounts } = demoAccounts();
  const rows = accounts.map((a) => `| ${a.useCase} | \`${a.email}\` | ${a.role} | ${a.login} |`);
  return [
    '',
    '### Demo credentials (development only)',
    `Every account's password is \`${password}\`.`,
    '',
    '| use case | email | role | sign in with |',
    '|---|---|---|---|',
    ...rows,
    '',
    'Status page: [/](/) · raw metrics: [/metrics](/metrics)',
  ].join('\n');
}
