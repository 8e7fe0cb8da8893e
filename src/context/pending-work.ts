/**
 * The database work of one `Auth` still in flight: requests' directory loads and team
 * write-backs, and the writes nobody awaits (provisioning's `last_login_at`). `close()` waits
 * for it before closing the client, so a write that was started also lands; `idle()` lets
 * tests and services wait for it without guessing a delay.
 */
export class PendingWork {
  private readonly pending = new Set<Promise<unknown>>();

  /** Number of tasks not settled yet. */
  get size(): number {
    return this.pending.size;
  }

  /** Tracks `task` until it settles; returns it unchanged. */
  track<T>(task: Promise<T>): Promise<T> {
    this.pending.add(task);
    const done = () => {
      this.pending.delete(task);
    };
    task.then(done, done);
    return task;
  }

  /** Resolves once nothing is pending, including work started while waiting. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** `idle()`, but for at most `timeoutMs`: true when everything settled, false on timeout. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pending.size === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      timer.unref();
    });
    try {
      return await Promise.race([this.idle().then(() => true as const), timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }
}
