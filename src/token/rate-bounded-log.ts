import type { Logger } from 'pino';

export interface RateBoundedLogOptions {
  readonly logger: Logger;
  readonly level: 'info' | 'warn';
  /** The line's fixed message (operators and alerts match on it). */
  readonly message: string;
  /** Name of the field holding the counts by key, e.g. `byCode`. */
  readonly countsField: string;
  /** At most one line per interval. Default 10000 ms. */
  readonly intervalMs?: number;
}

export const DEFAULT_SUMMARY_INTERVAL_MS = 10_000;

/**
 * A log line per kind of event that an attacker can cause at will, written at most once per
 * interval: the first event of a quiet period is logged at once (so a lone failure is seen
 * when it happens), later ones are counted and summarised when the interval ends. Lines carry
 * `count`, the counts by key, any extra tallies, and `windowSec`. Nothing is lost but the counts
 * of a last, unfinished interval at process exit.
 */
export class RateBoundedLog {
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | null = null;
  private count = 0;
  private byKey: Record<string, number> = {};
  private tallies: Record<string, number> = {};

  constructor(private readonly options: RateBoundedLogOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_SUMMARY_INTERVAL_MS;
  }

  /** Counts one event under `key`; `tally` (e.g. `remembered`) is counted on its own as well. */
  record(key: string, tally?: string): void {
    this.count += 1;
    this.byKey[key] = (this.byKey[key] ?? 0) + 1;
    if (tally !== undefined) this.tallies[tally] = (this.tallies[tally] ?? 0) + 1;
    if (this.timer === null) this.flush();
  }

  private flush(): void {
    if (this.count === 0) {
      this.timer = null;
      return;
    }
    const { logger, level, message, countsField } = this.options;
    logger[level]({ count: this.count, [countsField]: this.byKey, ...this.tallies, windowSec: this.intervalMs / 1000 }, message);
    this.count = 0;
    this.byKey = {};
    this.tallies = {};
    this.timer = setTimeout(() => this.flush(), this.intervalMs);
    // A pending summary must not keep a process alive that has nothing else to do.
    this.timer.unref();
  }
}
