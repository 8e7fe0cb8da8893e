/**
 * Admission of calls to Stytch for one `Auth`: a cap on calls in flight, and a back-off window
 * after a 429. Both refuse at once rather than queue: a queue of unbounded length is the very
 * cost an attacker with random tokens would impose, and a request answered 503 quickly can be
 * retried by its client, while one held in a queue ties up a socket and the caller's patience.
 */
export type GateRefusal =
  | { readonly reason: 'backing_off'; readonly remainingMs: number }
  | { readonly reason: 'in_flight_limit'; readonly limit: number };

export type GateAdmission = { readonly admitted: true; release(): void } | { readonly admitted: false; readonly refusal: GateRefusal };

export class StytchCallGate {
  private inFlight = 0;
  private backOffUntilMs = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** A slot, to be released exactly once whatever the call's outcome; or why there is none. */
  tryAcquire(): GateAdmission {
    const backingOff = this.backOffRemainingMs();
    if (backingOff > 0) return { admitted: false, refusal: { reason: 'backing_off', remainingMs: backingOff } };
    if (this.inFlight >= this.maxInFlight) return { admitted: false, refusal: { reason: 'in_flight_limit', limit: this.maxInFlight } };
    this.inFlight += 1;
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight -= 1;
      },
    };
  }

  /** No call starts for `ms` from now; a later, longer window extends it, a shorter one does not cut it. */
  backOff(ms: number): void {
    this.backOffUntilMs = Math.max(this.backOffUntilMs, this.now() + ms);
  }

  backOffRemainingMs(): number {
    return Math.max(0, this.backOffUntilMs - this.now());
  }

  get callsInFlight(): number {
    return this.inFlight;
  }
}
