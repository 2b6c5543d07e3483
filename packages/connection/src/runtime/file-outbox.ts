import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ToolkitError } from './errors.js';
import { refuseUnknownOptions } from './options.js';
import type { Outbox, OutboxEntry } from './outbox.js';

export interface FileOutboxOptions {
  /** The directory (created when missing). Instances on one host that share it replay each other's entries. */
  directory: string;
  /** Entries kept at most; `append` rejects beyond it (the caller then answers "unavailable"). Default 100,000. */
  maxEntries?: number;
}

/** Thrown by `append` when the outbox is full: the write was NOT accepted. */
export class OutboxFullError extends ToolkitError {
  static override readonly code = 'E_REDIS_OUTBOX_FULL';
}

/** Bad options given to `createFileOutbox`; `field` names the option. */
export class OutboxConfigError extends ToolkitError {
  static override readonly code = 'E_REDIS_OUTBOX_CONFIG';
  declare readonly field: string;
  constructor(field: string, message: string) {
    super(`createFileOutbox: ${message}`, { field });
  }
}

const outboxConfigError = (field: string, message: string) => new OutboxConfigError(field, message);

/**
 * An outbox of one file per entry in a directory: written to a temporary name, fsynced, then
 * renamed, so an entry is either whole or absent after a crash, and several processes can append,
 * list and remove without a lock. Names sort by time, so `list` is oldest first.
 */
export function createFileOutbox<T = unknown>(options: FileOutboxOptions): Outbox<T> {
  refuseUnknownOptions(options, ['directory', 'maxEntries'], outboxConfigError);
  const dir = options.directory;
  if (typeof dir !== 'string' || dir === '') {
    throw outboxConfigError('directory', 'directory must be a non-empty path');
  }
  const max = options.maxEntries ?? 100_000;
  if (!Number.isInteger(max) || max < 1) {
    throw outboxConfigError('maxEntries', 'maxEntries must be a whole number ≥ 1');
  }
  let ready: Promise<unknown> | undefined;
  const ensure = () => {
    ready ??= mkdir(dir, { recursive: true });
    return ready;
  };
  const entryFiles = async (): Promise<string[]> => {
    await ensure();
    return (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
  };
  const fileOf = (entry: OutboxEntry<T>) =>
    `${String(entry.createdAt).padStart(15, '0')}-${Buffer.from(entry.id).toString('base64url')}.json`;

  return {
    async append(entry) {
      const files = await entryFiles();
      if (files.length >= max) throw new OutboxFullError(`outbox ${dir} is full (${max} entries)`);
      const final = join(dir, fileOf(entry));
      const temp = join(dir, `.${randomUUID()}.tmp`);
      const handle = await open(temp, 'w');
      try {
        await handle.writeFile(JSON.stringify(entry));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, final);
      // the rename itself must survive a power cut too
      const dirHandle = await open(dir, 'r');
      try {
        await dirHandle.sync();
      } finally {
        await dirHandle.close();
      }
    },
    async list(limit) {
      const out: OutboxEntry<T>[] = [];
      for (const file of (await entryFiles()).slice(0, limit)) {
        try {
          out.push(JSON.parse(await readFile(join(dir, file), 'utf8')) as OutboxEntry<T>);
        } catch {
          // removed by another instance between readdir and read
        }
      }
      return out;
    },
    async remove(ids) {
      const wanted = new Set(ids.map((id) => Buffer.from(id).toString('base64url')));
      for (const file of await entryFiles()) {
        const id = file.slice(16, -5);
        if (!wanted.has(id)) continue;
        await unlink(join(dir, file)).catch((error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
        });
      }
    },
    async size() {
      return (await entryFiles()).length;
    },
  };
}
