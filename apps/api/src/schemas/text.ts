import { z } from 'zod';

/**
 * C0 controls and DEL. PostgreSQL cannot store NUL in text (error 22021), and the others have no
 * business in a name or a phone number (terminal escapes in logs, invisible look-alikes). Free
 * text (`multiline`) may keep tab, LF and CR.
 */
export function hasControlCharacter(s: string, multiline = false): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x7f) return true;
    if (c >= 0x20) continue;
    if (multiline && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
    return true;
  }
  return false;
}

/** Lone surrogates cannot be encoded as UTF-8: the database, URL encoders and key builders throw on them. */
// String.prototype.isWellFormed is Node 20 but ES2024 (the repo's lib is ES2023).
export const isWellFormed = (s: string): boolean =>
  (s as string & { isWellFormed(): boolean }).isWellFormed();

export interface TextOptions {
  /** Minimum length after trimming (default 1: blank is not a value). */
  min?: number;
  max: number;
  /** Allow tab, LF and CR (free text such as an alert message). Default false. */
  multiline?: boolean;
  /** Trim surrounding whitespace before the length checks. Default true. */
  trim?: boolean;
}

/** Rules every string from a client passes: well-formed UTF-16 and no control characters. */
export function safeString<S extends z.ZodString>(schema: S, multiline = false): S {
  return schema
    .refine(isWellFormed, 'must be well-formed Unicode (no lone surrogates)')
    .refine(
      (s) => !hasControlCharacter(s, multiline),
      multiline
        ? 'must not contain control characters (tab and line breaks are allowed)'
        : 'must not contain control characters',
    ) as S;
}

/** A client-supplied string that can be stored: `text({ max: 100 })`. */
export function text({ min = 1, max, multiline = false, trim = true }: TextOptions): z.ZodString {
  const base = trim ? z.string().trim() : z.string();
  return safeString(base.min(min).max(max), multiline);
}

/** An e-mail address; ill-formed strings are refused before the format check sees them. */
export function email({ max = 200 }: { max?: number } = {}) {
  return z
    .string()
    .max(max)
    .refine(isWellFormed, 'must be well-formed Unicode (no lone surrogates)')
    .pipe(z.email());
}

/** A secret such as a password: kept verbatim (no trim), but well-formed and without NUL. */
export function secretText({ max }: { max: number }): z.ZodString {
  return z
    .string()
    .min(1)
    .max(max)
    .refine(isWellFormed, 'must be well-formed Unicode (no lone surrogates)')
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL');
}
