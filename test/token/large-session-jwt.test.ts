/**
 * The largest session JWT Stytch can issue must be accepted: 4 KB of session custom claims,
 * five authentication factors in Stytch's documented shapes, several roles. Such a token is
 * well over 8 KB. Anything up to the 16 KB header limit is handled with a 401 or a 200, never
 * a 500; past it, `token_malformed` before any work.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createAuth, type Auth } from 'ayz-auth';
import { createTestIssuer, type TestIssuer } from 'ayz-auth/testing';
import { bearer, httpRequest } from '../adapters/http-client.js';
import { captureLogs, type CapturedLog } from '../support/log-capture.js';
import { startMeApp, type MeApp } from './express-me-app.js';

const SESSION_CLAIM = 'https://stytch.com/session';
const MEMBER = 'member-test-5b1e7a3c-2d4f-4e6a-8b9c-0d1e2f3a4b5c';
const ORG = 'organization-test-9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d';
const SESSION_ID = 'member-session-test-3c2b1a09-8f7e-4d6c-5b4a-392817161514';
const HEADER_LIMIT = 16_384;

const at = (offsetSec: number) => new Date(Date.now() + offsetSec * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One factor as Stytch writes it in a B2B session: type, delivery method, times, and the factor's own record. */
function factor(type: string, delivery: string, detail: Record<string, unknown>) {
  return { type, delivery_method: delivery, last_authenticated_at: at(-60), created_at: at(-3_600), updated_at: at(-60), ...detail };
}

const FACTORS = [
  factor('magic_link', 'email', { email_factor: { email_id: `member-email-test-${randomUUID()}`, email_address: 'ada.lovelace@example-enterprise-customer.test' } }),
  factor('sso', 'sso_saml', { saml_sso_factor: { id: `saml-connection-test-${randomUUID()}`, provider_id: `saml-provider-test-${randomUUID()}`, external_id: 'ada.lovelace@idp.example-enterprise-customer.test' } }),
  factor('oauth', 'oauth_google', { google_oauth_factor: { id: `oauth-user-test-${randomUUID()}`, provider_subject: '104857600123456789012', email_id: `member-email-test-${randomUUID()}` } }),
  factor('totp', 'authenticator_app', { authenticator_app_factor: { totp_id: `member-totp-test-${randomUUID()}` } }),
  factor('otp', 'sms', { phone_number_factor: { phone_id: `member-phone-number-test-${randomUUID()}`, phone_number: '+12025550162' } }),
];
const ROLES = ['stytch_member', 'stytch_admin', 'organization-admin', 'billing-manager', 'support-agent', 'auditor', 'workspace-owner'];

/** Session custom claims of exactly `bytes` bytes of JSON (Stytch's limit is 4 KB). */
function customClaims(bytes: number): Record<string, unknown> {
  const claims: Record<string, unknown> = {
    tenant: 'acme-enterprise',
    feature_flags: ['reports', 'exports', 'audit-log', 'sso-enforced', 'scim', 'custom-roles'],
    preferences: { locale: 'en-GB', timezone: 'Europe/London', theme: 'dark' },
    padding: '',
  };
  const missing = bytes - Buffer.byteLength(JSON.stringify(claims));
  claims.padding = 'p'.repeat(missing);
  return claims;
}

let issuer: TestIssuer;
let auth: Auth;
let app: MeApp;
let bigApp: MeApp;
let logs: CapturedLog;
const sent: string[] = [];

function largestSessionJwt(extraClaims: Record<string, unknown> = {}): string {
  const jwt = issuer.sessionJwt({
    memberId: MEMBER,
    organizationId: ORG,
    customClaims: { ...customClaims(4_096), ...extraClaims },
    claims: {
      [SESSION_CLAIM]: {
        id: SESSION_ID,
        started_at: at(-3_600),
        last_accessed_at: at(-60),
        expires_at: at(86_400),
        attributes: { user_agent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15', ip_address: '203.0.113.254' },
        authentication_factors: FACTORS,
        roles: ROLES,
      },
    },
  });
  sent.push(jwt);
  return jwt;
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  logs = captureLogs();
  auth = createAuth({ stytch: issuer.authOptions, logger: logs.logger });
  app = await startMeApp(auth);
  // Node's own limit is 16 KB for all headers together; this server lets the library's cap speak.
  bigApp = await startMeApp(auth, { maxHeaderSize: 64 * 1024 });
});
afterAll(async () => {
  await app.close();
  await bigApp.close();
  await auth.close();
  await issuer.close();
});
afterEach(() => logs.expectNoSecrets(...sent, issuer.secret));

describe('large session JWTs', () => {
  it('accepts the largest documented session JWT (4 KB custom claims, 5 factors, 7 roles) over HTTP', async () => {
    const jwt = largestSessionJwt();
    expect(jwt.length).toBeGreaterThan(8_600);
    const res = await httpRequest(app.meUrl, { headers: bearer(jwt) });
    expect(res.status, res.text).toBe(200);
    expect(res.json).toMatchObject({
      memberId: MEMBER,
      stytchOrgId: ORG,
      sessionId: SESSION_ID,
      roles: ROLES,
      authenticationFactors: ['magic_link', 'sso', 'oauth', 'totp', 'otp'],
      customClaims: { tenant: 'acme-enterprise' },
    });
    // The warm path (verified-token cache) serves the same large token too.
    const again = await httpRequest(app.meUrl, { headers: bearer(jwt) });
    expect(again.status).toBe(200);
  });

  it('handles every size up to the 16 KB header limit with a 200 or a 401, never a 500; past it, token_malformed', async () => {
    const base = largestSessionJwt().length;
    const seen: Array<{ length: number; status: number; error: unknown }> = [];
    for (const target of [10_000, 12_000, 14_000, 15_500, 16_300, 16_600, 20_000]) {
      const jwt = largestSessionJwt({ filler: 'f'.repeat(Math.max(0, Math.floor((target - base) * 0.75))) });
      const res = await httpRequest(bigApp.meUrl, { headers: bearer(jwt) });
      seen.push({ length: jwt.length, status: res.status, error: res.json?.error });
      const headerLength = 'Bearer '.length + jwt.length;
      if (headerLength <= HEADER_LIMIT) expect(res.status, `${jwt.length} chars`).toBe(200);
      else expect({ status: res.status, error: res.json?.error }, `${jwt.length} chars`).toEqual({ status: 401, error: 'token_malformed' });
    }
    expect(seen.some((s) => s.status === 200 && s.length > 16_000)).toBe(true);
    expect(seen.some((s) => s.status === 401)).toBe(true);
    expect(seen.every((s) => s.status !== 500)).toBe(true);
  });

  it('accepts the deepest custom claim 4 KB allows (2,045 levels) and refuses deeper ones with 401, never a 500', async () => {
    const nest = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
    const deepest = issuer.sessionJwt({ memberId: MEMBER, organizationId: ORG, customClaims: { d: nest(2_045) } });
    const deeper = issuer.sessionJwt({ memberId: MEMBER, organizationId: ORG, customClaims: { d: nest(3_500) } });
    sent.push(deepest, deeper);
    expect(JSON.stringify({ d: nest(2_045) }).length).toBeLessThanOrEqual(4_096);
    const ok = await httpRequest(bigApp.meUrl, { headers: bearer(deepest) });
    expect(ok.status, ok.text).toBe(200);
    const refused = await httpRequest(bigApp.meUrl, { headers: bearer(deeper) });
    expect(deeper.length).toBeGreaterThan(8_192);
    expect({ status: refused.status, error: refused.json?.error }).toEqual({ status: 401, error: 'token_invalid' });
  });

  it("on Node's default header limit, a token too big for the server is Node's 431, not a 500", async () => {
    const jwt = largestSessionJwt({ filler: 'f'.repeat(12_000) });
    const res = await httpRequest(app.meUrl, { headers: bearer(jwt) });
    expect(res.status).toBe(431);
  });
});
