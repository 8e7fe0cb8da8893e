import type { Logger } from 'pino';
import { z } from 'zod';
import { AuthError } from '../errors.js';
import { RateBoundedLog } from './rate-bounded-log.js';
import { retryAfterMs } from './retry-after.js';
import { StytchCallGate, type GateRefusal } from './stytch-call-gate.js';
import { logText } from '../log-messages.js';

export interface StytchClientOptions {
  readonly apiBaseUrl: string;
  readonly projectId: string;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly retries: number;
  /** Calls (each with its retries) in flight at once; beyond, 503 at once. */
  readonly maxInFlight: number;
}

export type SessionCredential = { readonly session_token: string } | { readonly session_jwt: string };

// What we rely on in a 200 answer; anything else means Stytch (or what answers in its place)
// is not speaking the documented shape, which is an outage, never an accepted session.
const authenticateResponse = z.looseObject({
  member_session: z.looseObject({
    member_session_id: z.string(),
    member_id: z.string(),
    organization_id: z.string(),
    expires_at: z.string().optional(),
  }),
  member: z.looseObject({ member_id: z.string() }),
  organization: z.looseObject({ organization_id: z.string() }).optional(),
  session_jwt: z.string().optional(),
});

export type AuthenticateResponse = z.infer<typeof authenticateResponse>;

const MAX_BODY_BYTES = 1_000_000;

type Attempt =
  | { kind: 'ok'; body: AuthenticateResponse }
  | { kind: 'rejected'; status: number; errorType: string | null }
  | { kind: 'rate-limited'; backOffMs: number }
  | { kind: 'transient'; reason: string };

// Stytch's error types are short snake_case words; anything else is not echoed into a log.
const ERROR_TYPE = /^[a-z][a-z0-9_]{0,63}$/;

/**
 * B2B `sessions/authenticate`: HTTP Basic, a timeout per attempt, retries on transient faults
 * only. Every call goes through this client's gate (one per `Auth`): a bounded number in flight,
 * none while a 429's `Retry-After` runs, and a 429 is never retried.
 */
export class StytchSessionsClient {
  private readonly url: string;
  private readonly authorization: string;
  private readonly gate: StytchCallGate;
  private readonly refusals: RateBoundedLog;

  constructor(
    private readonly options: StytchClientOptions,
    private readonly logger: Logger,
  ) {
    this.url = `${options.apiBaseUrl}/v1/b2b/sessions/authenticate`;
    this.authorization = `Basic ${Buffer.from(`${options.projectId}:${options.secret}`).toString('base64')}`;
    this.gate = new StytchCallGate(options.maxInFlight);
    this.refusals = new RateBoundedLog({
      logger,
      level: 'warn',
      message: logText('stytchShed'),
      countsField: 'byReason',
    });
  }

  /**
   * Throws `session_invalid` (with the reason) when Stytch rejects the session, and
   * `stytch_unavailable` otherwise: at once when no call may start, else after the retries.
   */
  /** `log`: the logger of the request the call is made for (its lines carry the request id). */
  async authenticate(credential: SessionCredential, fingerprint: string, log: Logger = this.logger): Promise<AuthenticateResponse> {
    const admission = this.gate.tryAcquire();
    if (!admission.admitted) throw this.refuse(admission.refusal);
    try {
      return await this.attempts(credential, fingerprint, log);
    } finally {
      admission.release();
    }
  }

  private async attempts(credential: SessionCredential, fingerprint: string, log: Logger): Promise<AuthenticateResponse> {
    let last: Attempt = { kind: 'transient', reason: 'not attempted' };
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) {
        await backoff(attempt);
        // Another call met a 429 meanwhile: a retry now would spend the quota we were asked to spare.
        const remaining = this.gate.backOffRemainingMs();
        if (remaining > 0) throw this.refuse({ reason: 'backing_off', remainingMs: remaining });
      }
      last = await this.attempt(credential);
      if (last.kind === 'ok') return last.body;
      if (last.kind === 'rate-limited') {
        this.gate.backOff(last.backOffMs);
        const backOffSec = Math.ceil(last.backOffMs / 1000);
        log.warn({ tokenFingerprint: fingerprint, backOffSec }, logText('stytchRateLimited'));
        throw new AuthError('stytch_unavailable', { reason: `Stytch answered 429; no call for ${backOffSec} s`, retryAfterSec: backOffSec });
      }
      if (last.kind === 'rejected') {
        const errorType = last.errorType !== null && ERROR_TYPE.test(last.errorType) ? last.errorType : 'no recognised error_type';
        if (last.status === 401 && last.errorType === 'unauthorized_credentials') {
          // Our project id / secret are wrong: the caller's session may be fine.
          log.error({ status: last.status, errorType: last.errorType }, logText('stytchBadCredentials'));
          throw new AuthError('stytch_unavailable', { reason: 'Stytch rejected our project credentials (401 unauthorized_credentials)' });
        }
        // No log line of its own: the caller logs the rejection (DEBUG each, INFO summarised).
        throw new AuthError('session_invalid', { reason: `Stytch answered ${last.status} ${errorType}` });
      }
      log.warn({ tokenFingerprint: fingerprint, attempt: attempt + 1, reason: last.reason }, logText('stytchAttemptFailed'));
    }
    const reason = last.kind === 'transient' ? last.reason : 'no answer';
    throw new AuthError('stytch_unavailable', {
      reason: `Stytch sessions/authenticate failed ${this.options.retries + 1} time(s); last: ${reason}`,
      cause: new Error(reason),
    });
  }

  /** A 503 without a call; counted into one WARN line per interval, not one per request. */
  private refuse(refusal: GateRefusal): AuthError {
    this.refusals.record(refusal.reason);
    const reason =
      refusal.reason === 'backing_off'
        ? `not called: Stytch asked us to wait (429), ${Math.ceil(refusal.remainingMs / 1000)} s left`
        : `not called: ${refusal.limit} calls to Stytch already in flight (remote.maxInFlight)`;
    return new AuthError('stytch_unavailable', {
      reason,
      ...(refusal.reason === 'backing_off' ? { retryAfterSec: Math.ceil(refusal.remainingMs / 1000) } : {}),
    });
  }

  private async attempt(credential: SessionCredential): Promise<Attempt> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.url, {
        method: 'POST',
        headers: { authorization: this.authorization, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(credential),
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return { kind: 'transient', reason: timedOut ? `timed out after ${this.options.timeoutMs} ms` : 'network error' };
    }
    if (response.status === 429) return { kind: 'rate-limited', backOffMs: retryAfterMs(response.headers.get('retry-after')) };
    if (response.status >= 500) return { kind: 'transient', reason: `HTTP ${response.status}` };
    if (text.length > MAX_BODY_BYTES) return { kind: 'transient', reason: 'response too large' };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.status >= 400) {
      const errorType = typeof (json as { error_type?: unknown } | undefined)?.error_type === 'string' ? (json as { error_type: string }).error_type : null;
      return { kind: 'rejected', status: response.status, errorType };
    }
    if (response.status !== 200) return { kind: 'transient', reason: `HTTP ${response.status}` };
    const parsed = authenticateResponse.safeParse(json);
    if (!parsed.success) return { kind: 'transient', reason: json === undefined ? 'response is not JSON' : 'unexpected response shape' };
    return { kind: 'ok', body: parsed.data };
  }
}

/** 100 ms, 200 ms, 400 ms… with jitter, so a fleet of services does not retry in step. */
function backoff(attempt: number): Promise<void> {
  const base = 100 * 2 ** (attempt - 1);
  return new Promise((resolve) => setTimeout(resolve, base / 2 + Math.random() * (base / 2)));
}
