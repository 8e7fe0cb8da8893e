/**
 * The two reads of Stytch's RBAC API: the project's policy and, when organization policies are
 * on, one organization's custom roles. HTTP Basic with the project id and secret, one attempt
 * per call with a timeout (the stores retry on their own schedule, with back-off), no
 * redirects, a size cap, and a verdict instead of an exception.
 */
import { retryAfterMs } from '../token/retry-after.js';
import { parseOrgPolicyResponse, parsePolicyResponse, type RbacOrgPolicy, type RbacPolicy } from './policy.js';

export interface PolicyClientOptions {
  readonly projectId: string;
  readonly secret: string;
  /** Origin of the Stytch API, no trailing slash. */
  readonly apiBaseUrl: string;
  readonly timeoutMs: number;
}

/**
 * `failed` carries a reason for the operator's log (never response text) and, for a 429,
 * Stytch's `Retry-After`; `misconfigured` marks answers that no retry will fix (401/403/404).
 */
export type FetchVerdict<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: string; readonly misconfigured: boolean; readonly retryAfterMs: number | null };

const MAX_POLICY_BYTES = 5_000_000;

export class PolicyClient {
  private readonly authorization: string;

  constructor(private readonly options: PolicyClientOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.projectId}:${options.secret}`).toString('base64')}`;
  }

  get policyUrl(): string {
    return `${this.options.apiBaseUrl}/v1/b2b/rbac/policy`;
  }

  orgPolicyUrl(stytchOrgId: string): string {
    return `${this.options.apiBaseUrl}/v1/b2b/rbac/organizations/${encodeURIComponent(stytchOrgId)}`;
  }

  projectPolicy(): Promise<FetchVerdict<RbacPolicy>> {
    return this.get(this.policyUrl, parsePolicyResponse);
  }

  orgPolicy(stytchOrgId: string): Promise<FetchVerdict<RbacOrgPolicy>> {
    return this.get(this.orgPolicyUrl(stytchOrgId), parseOrgPolicyResponse);
  }

  private async get<T>(url: string, parse: (body: unknown) => T | null): Promise<FetchVerdict<T>> {
    const failed = (reason: string, misconfigured = false, retryAfter: number | null = null): FetchVerdict<T> => ({
      ok: false,
      reason,
      misconfigured,
      retryAfterMs: retryAfter,
    });
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        headers: { authorization: this.authorization, accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      return failed(timedOut ? `timed out after ${this.options.timeoutMs} ms` : 'network error');
    }
    if (response.status === 429) return failed('HTTP 429', false, retryAfterMs(response.headers.get('retry-after')));
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      return failed(`HTTP ${response.status}`, true);
    }
    if (response.status !== 200) return failed(`HTTP ${response.status}`);
    if (text.length > MAX_POLICY_BYTES) return failed('response too large');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return failed('response is not JSON');
    }
    const value = parse(body);
    return value === null ? failed('unexpected response shape') : { ok: true, value };
  }
}
