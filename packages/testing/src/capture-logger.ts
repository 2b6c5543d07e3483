import { format } from 'node:util';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const LEVELS: Record<LogLevel, number> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
};

/** One recorded call. `fields` merges the child bindings with the object argument. */
export interface LogEntry {
  level: LogLevel;
  msg: string;
  fields: Record<string, unknown>;
}

/** pino's two call shapes: `(obj, msg?, ...args)` and `(msg, ...args)`. */
export interface CaptureLogFn {
  (obj: object, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}

export interface CapturedLogger {
  trace: CaptureLogFn;
  debug: CaptureLogFn;
  info: CaptureLogFn;
  warn: CaptureLogFn;
  error: CaptureLogFn;
  fatal: CaptureLogFn;
  /** Minimum level recorded, as in pino. */
  readonly level: LogLevel;
  isLevelEnabled(level: LogLevel): boolean;
  /** A logger whose entries carry `bindings` and land in the same store as its parent's. */
  child(bindings: object): CapturedLogger;
  /** Every entry in call order, shared by the whole child tree. */
  readonly entries: readonly LogEntry[];
  /** Entries of one level (or all). */
  lines(level?: LogLevel): LogEntry[];
  /** The first entry whose message matches. */
  find(pattern: RegExp): LogEntry | undefined;
  clear(): void;
  /**
   * Whether `text` occurs in any message, any field key or value (nested objects, arrays, errors'
   * message and stack included). For "the secret is never logged at any level" tests.
   */
  containsText(text: string): boolean;
}

/**
 * A pino-compatible logger that records instead of writing. Satisfies the toolkit's `Logger`
 * interface; for code typed against `pino.Logger`, cast (`as unknown as Logger`) — only the
 * methods above exist.
 */
export function captureLogger(level: LogLevel = 'trace'): CapturedLogger {
  return makeLogger([], level, {});
}

function makeLogger(
  store: LogEntry[],
  level: LogLevel,
  bindings: Record<string, unknown>,
): CapturedLogger {
  const threshold = LEVELS[level];
  const method =
    (entryLevel: LogLevel): CaptureLogFn =>
    (first: object | string, ...rest: unknown[]) => {
      if (LEVELS[entryLevel] < threshold) return;
      store.push(toEntry(entryLevel, bindings, first, rest));
    };
  return {
    trace: method('trace'),
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
    fatal: method('fatal'),
    level,
    isLevelEnabled: (l) => LEVELS[l] >= threshold,
    child: (childBindings) => makeLogger(store, level, { ...bindings, ...childBindings }),
    entries: store,
    lines: (l) => (l ? store.filter((e) => e.level === l) : [...store]),
    find: (pattern) => store.find((e) => pattern.test(e.msg)),
    clear: () => {
      store.length = 0;
    },
    containsText: (text) =>
      store.some((e) => e.msg.includes(text) || stringsOf(e.fields).some((s) => s.includes(text))),
  };
}

function toEntry(
  level: LogLevel,
  bindings: Record<string, unknown>,
  first: object | string,
  rest: unknown[],
): LogEntry {
  if (typeof first === 'string' || first === null || typeof first !== 'object') {
    return { level, msg: format(String(first), ...rest), fields: { ...bindings } };
  }
  const [msgArg, ...args] = rest;
  // pino files an Error argument under `err`, and takes its message when no message is given.
  if (first instanceof Error) {
    const msg = typeof msgArg === 'string' ? format(msgArg, ...args) : first.message;
    return { level, msg, fields: { ...bindings, err: first } };
  }
  const { msg: objMsg, ...fields } = first as Record<string, unknown>;
  const msg =
    typeof msgArg === 'string' ? format(msgArg, ...args) : typeof objMsg === 'string' ? objMsg : '';
  return { level, msg, fields: { ...bindings, ...fields } };
}

/** Every string reachable from `value`, keys included; cycles are visited once. */
function stringsOf(value: unknown, seen = new Set<object>()): string[] {
  if (value === null || value === undefined) return [];
  if (typeof value === 'string') return [value];
  if (typeof value !== 'object') return [String(value)];
  if (seen.has(value)) return [];
  seen.add(value);
  const out: string[] = [];
  if (value instanceof Error) {
    out.push(value.message, value.stack ?? '');
    if (value.cause !== undefined) out.push(...stringsOf(value.cause, seen));
  }
  if (value instanceof Map) {
    for (const [k, v] of value) out.push(...stringsOf(k, seen), ...stringsOf(v, seen));
    return out;
  }
  if (value instanceof Set) {
    for (const v of value) out.push(...stringsOf(v, seen));
    return out;
  }
  if (Buffer.isBuffer(value)) return [value.toString('utf8')];
  // What a JSON serializer (pino) would print, e.g. a URL or a class with toJSON.
  const json = (value as { toJSON?: () => unknown }).toJSON;
  if (typeof json === 'function') out.push(...stringsOf(json.call(value), seen));
  for (const [k, v] of Object.entries(value)) out.push(k, ...stringsOf(v, seen));
  return out;
}
