/**
 * One document fetched from Stytch and kept: fetched once however many callers wait for it
 * (single flight), refreshed every `refreshIntervalMs` (by a timer when `background`, else
 * behind the request that finds it old), served stale while fetches fail for at most
 * `staleIfErrorMs` past its refresh time, and never fetched in a storm: after a failure the next
 * attempt waits 1 s, doubling up to `maxBackoffMs` (or Stytch's `Retry-After` on a 429).
 */
import type { FetchVerdict } from './policy-client.js';

export interface RefreshingDocumentOptions {
  readonly refreshIntervalMs: number;
  readonly staleIfErrorMs: number;
  readonly maxBackoffMs: number;
  /** Refresh by a timer (unref'd) after the first load, instead of behind the requests. */
  readonly background: boolean;
}

export interface RefreshEvents {
  /** A fetch failed; `cached` tells whether a usable copy is still served. */
  onFailure(reason: string, misconfigured: boolean, cached: boolean, retryInMs: number): void;
  /** A fetch succeeded after one or more failures. */
  onRecovered(): void;
}

/** Why there is no usable copy: for the 503's reason and its `Retry-After`. */
export interface Unavailability {
  readonly reason: string;
  readonly retryInMs: number;
}

const FIRST_RETRY_MS = 1_000;

export class RefreshingDocument<T> {
  private value: T | null = null;
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private failures = 0;
  private lastFailure = '';
  private retryAfterMs: number | null = null;
  private inflight: Promise<boolean> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private closed = false;
  /** Incremented by each successful fetch: lets derived data (an index) know when to rebuild. */
  version = 0;
  /** Fetches started. */
  fetchCount = 0;

  constructor(
    private readonly fetcher: () => Promise<FetchVerdict<T>>,
    private readonly options: RefreshingDocumentOptions,
    private readonly events: RefreshEvents,
    private readonly now: () => number = Date.now,
  ) {}

  /** How long after the last attempt the next may start. */
  private retryDelayMs(): number {
    if (this.failures === 0) return this.options.refreshIntervalMs;
    const backoff = Math.min(this.options.maxBackoffMs, FIRST_RETRY_MS * 2 ** Math.min(this.failures - 1, 30));
    return Math.max(backoff, this.retryAfterMs ?? 0);
  }

  private mayFetch(now: number): boolean {
    return this.failures === 0 || now - this.lastAttemptAt >= this.retryDelayMs();
  }

  /**
   * The copy, while it may be served: fresh, or stale within the bound. Never waits and never
   * fetches, except that it starts a refresh behind the caller when the copy is due (without a
   * timer, or when the timer is late).
   */
  current(): T | null {
    const value = this.value;
    if (value === null) return null;
    const age = this.now() - this.fetchedAt;
    if (age < this.options.refreshIntervalMs) return value;
    if (this.inflight === null && this.mayFetch(this.now())) void this.refresh();
    return age <= this.options.refreshIntervalMs + this.options.staleIfErrorMs ? value : null;
  }

  /** The copy, after waiting for the fetch it needs; null when none may be had (see `unavailability`). */
  async load(): Promise<T | null> {
    const value = this.current();
    if (value !== null) return value;
    if (this.inflight === null && !this.mayFetch(this.now())) return null;
    await this.refresh();
    return this.current();
  }

  unavailability(): Unavailability {
    const retryInMs = Math.max(0, this.lastAttemptAt + this.retryDelayMs() - this.now());
    if (this.failures === 0) return { reason: this.value === null ? 'not loaded yet' : 'too old', retryInMs: 0 };
    const staleNote = this.value === null ? 'nothing cached' : 'the cached copy is past its stale bound';
    return { reason: `${this.lastFailure}; ${staleNote}`, retryInMs };
  }

  /** One fetch at a time, shared by every caller. Resolves true on success. */
  refresh(): Promise<boolean> {
    if (this.inflight !== null) return this.inflight;
    if (this.closed) return Promise.resolve(false);
    this.started = true;
    this.inflight = this.fetchOnce().finally(() => {
      this.inflight = null;
      this.schedule();
    });
    return this.inflight;
  }

  /** Stops the timer; a fetch in flight ends on its own timeout. */
  close(): void {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (!this.options.background || !this.started || this.closed) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.refresh();
    }, this.retryDelayMs());
    // A refresh timer must never keep a process alive that has nothing else to do.
    this.timer.unref();
  }

  private async fetchOnce(): Promise<boolean> {
    this.lastAttemptAt = this.now();
    this.fetchCount += 1;
    const verdict = await this.fetcher();
    if (verdict.ok) {
      const recovered = this.failures > 0;
      this.value = verdict.value;
      this.fetchedAt = this.now();
      this.failures = 0;
      this.retryAfterMs = null;
      this.version += 1;
      if (recovered) this.events.onRecovered();
      return true;
    }
    this.failures += 1;
    this.lastFailure = verdict.reason;
    this.retryAfterMs = verdict.retryAfterMs;
    const cached = this.value !== null && this.now() - this.fetchedAt <= this.options.refreshIntervalMs + this.options.staleIfErrorMs;
    this.events.onFailure(verdict.reason, verdict.misconfigured, cached, this.retryDelayMs());
    return false;
  }
}
