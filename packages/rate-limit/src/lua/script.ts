import { createHash } from 'node:crypto';

/** A Lua script with its SHA1, so EVALSHA, the NOSCRIPT fallback and review all look in one place. */
export interface LuaScript {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

export function defineScript(name: string, source: string): LuaScript {
  const text = source.trim();
  return { name, source: text, sha: createHash('sha1').update(text).digest('hex') };
}
