/**
 * The JSON that Stytch's B2B session endpoints send, as documented (API reference and the
 * official `stytch` Node SDK types). The fake server answers with these shapes so that the
 * library is tested against what production sends, not against what the library expects.
 */
import { randomUUID } from 'node:crypto';

export interface StytchJwk {
  alg: 'RS256';
  kty: 'RSA';
  use: 'sig';
  key_ops: ['verify'];
  kid: string;
  n: string;
  e: string;
}

export interface StytchJwksResponse {
  keys: StytchJwk[];
  request_id: string;
  status_code: 200;
}

export interface StytchErrorBody {
  status_code: number;
  request_id: string;
  error_type: string;
  error_message: string;
  error_url: string;
}

export interface StytchAuthenticationFactor {
  type: string;
  delivery_method: string;
  last_authenticated_at: string;
  created_at: string;
  updated_at: string;
}

/** The `https://stytch.com/session` claim of a session JWT. */
export interface StytchSessionClaim {
  id: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  attributes: { user_agent: string; ip_address: string };
  authentication_factors: StytchAuthenticationFactor[];
  roles: string[];
}

/** The `https://stytch.com/organization` claim of a session JWT. */
export interface StytchOrganizationClaim {
  organization_id: string;
  slug: string;
}

export const SESSION_CLAIM = 'https://stytch.com/session';
export const ORGANIZATION_CLAIM = 'https://stytch.com/organization';

export interface StytchMemberRole {
  role_id: string;
  sources: Array<{ type: 'direct_assignment'; details: Record<string, never> }>;
}

/** Stytch's Member object (the fields a resource server may read; Stytch sends more). */
export interface StytchMember {
  member_id: string;
  organization_id: string;
  email_address: string;
  email_address_verified: boolean;
  name: string;
  status: 'active';
  /** Stytch sends role objects here, unlike `member_session.roles` which holds plain ids. */
  roles: StytchMemberRole[];
  trusted_metadata: Record<string, unknown>;
  untrusted_metadata: Record<string, unknown>;
  is_breakglass: boolean;
  mfa_enrolled: boolean;
  created_at: string;
  updated_at: string;
}

export interface StytchMemberSession {
  member_session_id: string;
  member_id: string;
  organization_id: string;
  organization_slug: string;
  started_at: string;
  last_accessed_at: string;
  expires_at: string;
  authentication_factors: StytchAuthenticationFactor[];
  custom_claims: Record<string, unknown>;
  roles: string[];
}

export interface StytchOrganization {
  organization_id: string;
  organization_name: string;
  organization_slug: string;
  organization_logo_url: string;
  trusted_metadata: Record<string, unknown>;
}

export interface StytchSessionsAuthenticateResponse {
  request_id: string;
  status_code: 200;
  member: StytchMember;
  member_session: StytchMemberSession;
  organization: StytchOrganization;
  session_token: string;
  session_jwt: string;
}

/** RFC 3339 in UTC without fractional seconds, the way Stytch writes every timestamp. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function stytchRequestId(): string {
  return `request-id-test-${randomUUID()}`;
}

const DELIVERY_METHODS: Readonly<Record<string, string>> = {
  magic_link: 'email',
  email_otp: 'email',
  otp: 'sms',
  totp: 'authenticator_app',
  password: 'knowledge',
  sso: 'sso_saml',
  oauth: 'oauth_google',
  recovery_codes: 'recovery_code',
  impersonated: 'impersonation',
  imported: 'imported_auth0',
  trusted_auth_token: 'trusted_token_exchange',
};

/** Stytch pairs each factor type with a delivery method; unknown types get a neutral one. */
export function deliveryMethodFor(type: string): string {
  return DELIVERY_METHODS[type] ?? 'unknown';
}

/** `at` for every factor unless `lastAuthenticatedAt` gives a factor type its own time (step-up tests). */
export function authenticationFactors(
  types: readonly string[],
  at: Date,
  lastAuthenticatedAt?: Readonly<Record<string, Date>>,
): StytchAuthenticationFactor[] {
  const when = rfc3339(at);
  return types.map((type) => {
    const last = lastAuthenticatedAt !== undefined && Object.hasOwn(lastAuthenticatedAt, type) ? lastAuthenticatedAt[type] : undefined;
    return {
      type,
      delivery_method: deliveryMethodFor(type),
      last_authenticated_at: last === undefined ? when : rfc3339(last),
      created_at: when,
      updated_at: last === undefined ? when : rfc3339(last),
    };
  });
}

export function stytchError(statusCode: number, errorType: string, errorMessage: string): StytchErrorBody {
  return {
    status_code: statusCode,
    request_id: stytchRequestId(),
    error_type: errorType,
    error_message: errorMessage,
    error_url: `https://stytch.com/docs/api/errors/${statusCode}#${errorType}`,
  };
}

/** The error Stytch documents for a status code, used when a test injects a bare status. */
export function defaultStytchError(statusCode: number): StytchErrorBody {
  switch (statusCode) {
    case 400:
      return stytchError(400, 'bad_request', 'The submitted request is invalid.');
    case 401:
      return stytchError(401, 'unauthorized_credentials', 'Unauthorized credentials.');
    case 404:
      return stytchError(404, 'session_not_found', 'Session could not be found.');
    case 429:
      return stytchError(429, 'too_many_requests', 'Too many requests have been made.');
    case 503:
      return stytchError(503, 'service_unavailable', 'The service is temporarily unavailable.');
    default:
      return statusCode >= 500
        ? stytchError(
            statusCode,
            'internal_server_error',
            'Oops, something seems to have gone wrong, please reach out to support@stytch.com to let us know what went wrong.',
          )
        : stytchError(statusCode, 'bad_request', 'The submitted request is invalid.');
  }
}
