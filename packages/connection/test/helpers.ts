import type { Logger } from '../src/index.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg: string | undefined;
}

/** A pino-compatible logger that records every call, for assertions on log volume and content. */
export function captureLogger(): { logger: Logger; lines: LogLine[]; text(): string } {
  const lines: LogLine[] = [];
  const method =
    (level: LogLine['level']) =>
    (objOrMsg: object | string, msg?: string): void => {
      if (typeof objOrMsg === 'string') lines.push({ level, obj: undefined, msg: objOrMsg });
      else lines.push({ level, obj: objOrMsg, msg });
    };
  const logger = {
    debug: method('debug'),
    info: method('info'),
    warn: method('warn'),
    error: method('error'),
  } as Logger;
  return {
    logger,
    lines,
    text: () => lines.map((l) => `${l.level} ${JSON.stringify(l.obj)} ${l.msg ?? ''}`).join('\n'),
  };
}

/** Milliseconds a promise takes to settle (resolve or reject), and how it settled. */
export async function timed<T>(
  promise: Promise<T>,
): Promise<{ ms: number; value?: T; error?: Error }> {
  const started = performance.now();
  try {
    const value = await promise;
    return { ms: performance.now() - started, value };
  } catch (error) {
    return { ms: performance.now() - started, error: error as Error };
  }
}
