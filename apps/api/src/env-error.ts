/** Thrown for a bad environment value; main() prints the message alone, never a stack. */
export class AppConfigError extends Error {
  override name = 'AppConfigError';
  readonly code = 'E_APP_CONFIG';
}
