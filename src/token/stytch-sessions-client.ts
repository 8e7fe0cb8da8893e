import type { Logger } from 'pino';
import { z } from 'zod';
import { AuthError } from '../errors.js';

export interface StytchClientOptions {
  readonly apiBaseUrl: string;
  readonly projectId: string;
  readonly secret: string;
  readonly timeoutMs: number;
  readonly retries: number;
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
  | { kind: 'transient'; reason: string };

/** B2B `sessions/authenticate`: HTTP Basic, a timeout per attempt, retries on transient faults only. */
export class StytchSessionsClient {
  private readonly url: string;
  private readonly authorization: string;

  constructor(
    private readonly options: StytchClientOptions,
    private readonly logger: Logger,
  ) {
    this.url = `${options.apiBaseUrl}/v1/b2b/sessions/authenticate`;
    this.authorization = `Basic ${Buffer.from(`${options.projectId}:${options.secret}`).toString('base64')}`;
  }

  /** Throws `session_invalid` when Stytch rejects the session, `stytch_unavailable` otherwise. */
  async authenticate(credential: SessionCredential, fingerprint: string): Promise<AuthenticateResponse> {
    let last: Attempt = { kind: 'transient', reason: 'not attempted' };
    for (let attempt = 0; attempt <= this.options.retries; attempt++) {
      if (attempt > 0) await backoff(attempt);
      last = await this.attempt(credential);
      if (last.kind === 'ok') return last.body;
      if (last.kind === 'rejected') {
        if (last.status === 401 && last.errorType === 'unauthorized_credentials') {
          // Our project id / secret are wrong: the caller's session may be fine.
          this.logger.error({ status: last.status, errorType: last.errorType }, 'Stytch rejected the project credentials; check STYTCH_PROJECT_ID and STYTCH_SECRET');
          throw new AuthError('stytch_unavailable');
        }
        this.logger.info({ tokenFingerprint: fingerprint, status: last.status, errorType: last.errorType }, 'Stytch rejected the session');
        throw new AuthError('session_invalid');
      }
      this.logger.warn({ tokenFingerprint: fingerprint, attempt: attempt + 1, reason: last.reason }, 'Stytch sessions/authenticate failed');
    }
    throw new AuthError('stytch_unavailable', { cause: last.kind === 'transient' ? new Error(last.reason) : undefined });
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
    if (response.status === 429 || response.status >= 500) return { kind: 'transient', reason: `HTTP ${response.status}` };
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
