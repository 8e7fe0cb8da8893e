/**
 * Every failure a caller can see is an `AuthError` with a stable `code`. Adapters only copy
 * `status`, `headers` and `body` onto the response, so the wire format lives here, once.
 */

export type AuthErrorStatus = 400 | 401 | 403 | 503;

/**
 * RFC 6750 §3.1 error values, and RFC 9470's `insufficient_user_authentication` (step-up);
 * `null` when the request carried no credentials at all.
 */
export type BearerErrorValue = 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'insufficient_user_authentication' | null;

interface CodeSpec {
  readonly status: AuthErrorStatus;
  readonly bearerError: BearerErrorValue;
  readonly message: string;
}

// The messages are fixed per code: nothing from the request (least of all the token) ever
// reaches a message, so a body or a log line can never echo an attacker's bytes.
const CODES = {
  token_missing: { status: 401, bearerError: null, message: 'An Authorization header with a Bearer token is required' },
  scheme_invalid: { status: 401, bearerError: 'invalid_request', message: "Authorization header must be in format: 'Bearer <token>'" },
  token_empty: { status: 401, bearerError: 'invalid_request', message: 'The bearer token is empty' },
  token_multiple: { status: 401, bearerError: 'invalid_request', message: 'Exactly one bearer token must be sent' },
  token_malformed: { status: 401, bearerError: 'invalid_token', message: 'The bearer token is malformed' },
  token_invalid: { status: 401, bearerError: 'invalid_token', message: 'The bearer token could not be verified' },
  token_expired: { status: 401, bearerError: 'invalid_token', message: 'The session token has expired' },
  token_not_yet_valid: { status: 401, bearerError: 'invalid_token', message: 'The session token is not valid yet' },
  token_too_old: { status: 401, bearerError: 'invalid_token', message: 'The session token is older than this service accepts' },
  token_unsupported: { status: 401, bearerError: 'invalid_token', message: 'Opaque session tokens are not accepted by this service; send a session JWT' },
  session_invalid: { status: 401, bearerError: 'invalid_token', message: 'Invalid or expired session token' },
  entitlement_missing: { status: 403, bearerError: 'insufficient_scope', message: 'A required entitlement is missing' },
  factor_missing: { status: 403, bearerError: 'insufficient_scope', message: 'A required authentication factor is missing' },
  claim_missing: { status: 403, bearerError: 'insufficient_scope', message: 'A required session claim is missing' },
  role_missing: { status: 403, bearerError: 'insufficient_scope', message: 'A required role is missing' },
  permission_missing: { status: 403, bearerError: 'insufficient_scope', message: 'A required permission is missing' },
  factor_stale: {
    status: 403,
    bearerError: 'insufficient_user_authentication',
    message: 'A required authentication factor must be verified again',
  },
  team_required: { status: 400, bearerError: null, message: 'No team selected. Please select a team in your organization.' },
  team_header_invalid: { status: 400, bearerError: null, message: 'The team header must be exactly one 24-hex team id' },
  team_forbidden: { status: 403, bearerError: 'insufficient_scope', message: 'The selected team is not a team of the caller' },
  tenant_unknown: { status: 403, bearerError: 'insufficient_scope', message: 'The caller has no organization or user in the directory' },
  scope_missing: { status: 403, bearerError: 'insufficient_scope', message: 'A required scope is missing' },
  member_required: { status: 403, bearerError: 'insufficient_scope', message: 'This route requires a member session; machine (M2M) tokens are not accepted' },
  csrf_failed: { status: 403, bearerError: null, message: 'Cross-site request refused: the request origin is not allowed for cookie authentication' },
  jwks_unavailable: { status: 503, bearerError: null, message: 'Signing keys are temporarily unavailable' },
  stytch_unavailable: { status: 503, bearerError: null, message: 'Authentication service temporarily unavailable' },
  context_unavailable: { status: 503, bearerError: null, message: 'The user directory is temporarily unavailable' },
  rbac_unavailable: { status: 503, bearerError: null, message: 'Permissions are temporarily unavailable' },
} as const satisfies Record<string, CodeSpec>;

export type AuthErrorCode = keyof typeof CODES;

/** Every code, with its status and RFC 6750 error value: the README's table is made from this. */
export const AUTH_ERROR_CODES: Readonly<Record<AuthErrorCode, Readonly<CodeSpec>>> = CODES;

export const WWW_AUTHENTICATE_REALM = 'ayz-auth';

/** A small JSON object in an error body, e.g. `required_permission: { resource, action }`. */
export type AuthErrorDetailObject = Readonly<Record<string, string | number | null>>;

/** One extra field's value in an error body. */
export type AuthErrorDetailValue = string | number | boolean | null | readonly string[] | AuthErrorDetailObject | readonly AuthErrorDetailObject[];

/** Extra JSON fields a 403 carries for clients of the Python library (`required_entitlement`…). */
export type AuthErrorDetails = Readonly<Record<string, AuthErrorDetailValue>>;

export interface AuthErrorBody {
  readonly error: AuthErrorCode;
  readonly message: string;
  readonly [field: string]: AuthErrorDetailValue;
}

export interface AuthErrorOptions {
  /** Human text replacing the code's default message. Never put request data here. */
  message?: string;
  details?: AuthErrorDetails;
  /**
   * Why, precisely, for the operator's log line (which claim, unknown `kid`, expired by how
   * long). Never sent to the client, never request data or token text.
   */
  reason?: string;
  /** A 503's `Retry-After` in seconds, when the wait is known (Stytch's own `Retry-After`). Default 5. */
  retryAfterSec?: number;
  /** A step-up refusal's `max_age` challenge parameter in seconds (RFC 9470 §3). */
  maxAgeSec?: number;
  cause?: unknown;
}

function bearerHeader(code: AuthErrorCode, spec: CodeSpec, description: string, maxAgeSec: number | undefined): string {
  if (spec.bearerError === null) return `Bearer realm="${WWW_AUTHENTICATE_REALM}"`;
  // error_description is restricted to %x20-21 / %x23-5B / %x5D-7E (RFC 6750 §3).
  const safe = description.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '');
  const header = `Bearer realm="${WWW_AUTHENTICATE_REALM}", error="${spec.bearerError}", error_description="${safe}"`;
  // RFC 9470: tells a step-up-aware client how recent the new authentication must be.
  return maxAgeSec === undefined ? header : `${header}, max_age="${Math.max(0, Math.floor(maxAgeSec))}"`;
}

/**
 * Every refusal of a request: a stable `code` (the error table), the HTTP `status`, a
 * client-safe `message`, and a `reason` for the logs only (never sent). The adapters answer it
 * as JSON with the right status and `WWW-Authenticate`; a custom `Check` returns one to refuse.
 *
 * @example
 * const adminsOfAcme: Check = (ctx) =>
 *   ctx.orgSlug === 'acme' && ctx.roles.includes('admin') ? null : new AuthError('role_missing');
 */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  readonly code: AuthErrorCode;
  readonly status: AuthErrorStatus;
  /** Response headers: `WWW-Authenticate` for 400/401/403, `Retry-After` for 503. */
  readonly headers: Readonly<Record<string, string>>;
  readonly details: AuthErrorDetails;
  /** The precise reason for the logs (`AuthErrorOptions.reason`); null when the code says it all. */
  readonly reason: string | null;

  constructor(code: AuthErrorCode, options: AuthErrorOptions = {}) {
    const spec: CodeSpec = CODES[code];
    const message = options.message ?? spec.message;
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = spec.status;
    this.details = options.details ?? {};
    this.reason = options.reason ?? null;
    this.headers =
      spec.status === 503
        ? { 'Retry-After': String(Math.max(1, Math.ceil(options.retryAfterSec ?? 5))) }
        : { 'WWW-Authenticate': bearerHeader(code, spec, message, options.maxAgeSec) };
  }

  /**
   * `status` under the name Fastify's (and most frameworks') error handlers read, so an
   * `AuthError` thrown to them is answered with its own status.
   */
  get statusCode(): AuthErrorStatus {
    return this.status;
  }

  /** The JSON body adapters send: `{ error, message, ...details }`. */
  get body(): AuthErrorBody {
    const body: Record<string, AuthErrorDetails[string]> = { error: this.code, message: this.message };
    for (const key of Object.keys(this.details)) {
      if (key !== 'error' && key !== 'message') body[key] = this.details[key] as AuthErrorDetails[string];
    }
    return body as AuthErrorBody;
  }

  toJSON(): AuthErrorBody {
    return this.body;
  }
}

/** Whether `value` is an `AuthError` (a refusal to answer with its status), as opposed to a bug. */
export function isAuthError(value: unknown): value is AuthError {
  return value instanceof AuthError;
}

/** Options that fail validation at start-up: every problem at once, by name. */
export class AuthConfigError extends Error {
  override readonly name = 'AuthConfigError';
  readonly issues: readonly { readonly path: string; readonly message: string }[];

  constructor(issues: readonly { path: string; message: string }[]) {
    super(`Invalid ayz-auth configuration: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.issues = issues;
  }
}
