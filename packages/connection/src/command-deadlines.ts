import type { Redis, RedisOptions } from 'ioredis';
import { SweepClock } from './runtime/sweep-clock.js';

/** What the sweep needs of an ioredis `Command`. */
interface PendingCommand {
  isResolved: boolean;
  reject(error: Error): void;
}

/** ioredis's own message for a command past `commandTimeout` (classify.ts counts it as availability). */
const TIMED_OUT = 'Command timed out';

/**
 * The client's `commandTimeout` as one sweep instead of ioredis's `setTimeout` per command, which
 * is set and cleared for every command (`pnpm bench connection`: a client with it at 0.88× of one
 * without at 100 GETs in flight in one run, 0.99× in the next). Here a command is two array
 * pushes; one interval (only while commands are pending) rejects those still unanswered after
 * `timeoutMs` with ioredis's own error, so the behaviour is ioredis's: queued or sent, every
 * command settles within the timeout. Time the event loop could not run does not count: the clock
 * is the runtime sweeper's (runtime/sweep-clock.ts).
 *
 * A command that failed with an error reply is not marked by ioredis, so it stays until its
 * deadline, when rejecting it again does nothing; a compaction keeps the queue to what is
 * unanswered once it grows.
 */
export class CommandDeadlines {
  private commands: (PendingCommand | undefined)[] = [];
  private deadlines: number[] = [];
  private head = 0;
  private readonly clock: SweepClock;

  constructor(
    private readonly timeoutMs: number,
    tickMs = 25,
  ) {
    this.clock = new SweepClock(tickMs, this.sweep);
  }

  add(command: PendingCommand): void {
    this.commands.push(command);
    this.deadlines.push(this.clock.deadlineIn(this.timeoutMs));
  }

  /** Commands in the queue (answered ones are dropped at the next sweep). */
  get size(): number {
    return this.commands.length - this.head;
  }

  /** Rejects the unanswered commands due by `due`; false once the queue is empty (the clock stops). */
  private readonly sweep = (due: number): boolean => {
    const { commands, deadlines } = this;
    let head = this.head;
    // deadlines are in order (one timeout length): stop at the first unanswered, not late one
    while (head < commands.length) {
      const command = commands[head];
      if (command !== undefined && !command.isResolved) {
        if ((deadlines[head] as number) > due) break;
        command.reject(new Error(TIMED_OUT));
      }
      commands[head] = undefined;
      head++;
    }
    this.head = head;
    if (head === commands.length) {
      this.commands = [];
      this.deadlines = [];
      this.head = 0;
      return false;
    }
    if (head > 1024 || commands.length - head > 4096) this.compact();
    return true;
  };

  /** Drops the consumed prefix and, behind a slow command, the answered ones. */
  private compact(): void {
    const commands: PendingCommand[] = [];
    const deadlines: number[] = [];
    for (let i = this.head; i < this.commands.length; i++) {
      const command = this.commands[i];
      if (command === undefined || command.isResolved) continue;
      commands.push(command);
      deadlines.push(this.deadlines[i] as number);
    }
    this.commands = commands;
    this.deadlines = deadlines;
    this.head = 0;
  }
}

/**
 * A standalone or Sentinel client whose `commandTimeout` is enforced by a `CommandDeadlines`
 * sweep. `options.commandTimeout` is taken out of what ioredis sees; the client's own
 * `duplicate()` (the cache's and blacklist's subscribers, durable writes) gets it back as ioredis's
 * timer, since those connections are off the request path.
 */
export function withSweptCommandTimeout(
  create: (options: RedisOptions) => Redis,
  options: RedisOptions,
): Redis {
  const { commandTimeout, ...rest } = options;
  if (typeof commandTimeout !== 'number' || !(commandTimeout > 0)) return create(options);
  const client = create(rest);
  const deadlines = new CommandDeadlines(commandTimeout);
  const send = client.sendCommand;
  client.sendCommand = function (this: Redis, command, stream) {
    deadlines.add(command as unknown as PendingCommand);
    return send.call(this, command, stream);
  } as Redis['sendCommand'];
  const duplicate = client.duplicate;
  client.duplicate = function (this: Redis, override?: Partial<RedisOptions>) {
    return duplicate.call(this, { commandTimeout, ...override });
  } as Redis['duplicate'];
  return client;
}
