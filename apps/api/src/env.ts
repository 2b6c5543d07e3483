import { z } from 'zod';

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(8_000),
});

export type AppEnv = z.infer<typeof envSchema>;

/** Thrown for a bad environment value; main() prints the message alone, never a stack. */
export class AppConfigError extends Error {
  override name = 'AppConfigError';
  readonly code = 'E_APP_CONFIG';
}

export function loadAppEnv(env: NodeJS.ProcessEnv = process.env): AppEnv {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const name = issue.path.join('.');
    return `${name}=${JSON.stringify(env[name])} is invalid: ${issue.message}`;
  });
  throw new AppConfigError(problems.join('; '));
}
