/**
 * Stytch's server-side view of sessions: which are live, and what `sessions/authenticate`
 * answers for a session token or a session JWT. A JWT minted without registering its session
 * is, to this store as to Stytch, a session it never heard of (404 `session_not_found`).
 */
import { randomBytes } from 'node:crypto';
import type { AuthenticateRequestBody, BackendReply } from './fake-stytch-server.js';
import { type KeyRing, verifyRs256 } from './signing-keys.js';
import { decodeJws, sessionIdOf, type SessionFacts } from './session-jwt.js';
import {
  authenticationFactors,
  rfc3339,
  stytchError,
  stytchRequestId,
  type StytchSessionsAuthenticateResponse,
} from './stytch-shapes.js';

export interface SessionRecord extends SessionFacts {
  sessionToken: string;
  email: string;
  name: string;
  organizationName: string;
  revoked: boolean;
}

/** 44 base64url characters after a recognisable prefix, like Stytch's opaque session tokens. */
export function newSessionToken(): string {
  return `sess_tok_${randomBytes(33).toString('base64url')}`;
}

export interface SessionStoreDeps {
  keys: KeyRing;
  /** Mints a fresh JWT for a session, as Stytch returns one with every authenticate call. */
  mint(session: SessionRecord): string;
  now?: () => Date;
}

export class SessionStore {
  private readonly byId = new Map<string, SessionRecord>();
  private readonly idByToken = new Map<string, string>();

  constructor(private readonly deps: SessionStoreDeps) {}

  add(record: SessionRecord): void {
    this.byId.set(record.sessionId, record);
    this.idByToken.set(record.sessionToken, record.sessionId);
  }

  get(sessionId: string): SessionRecord | undefined {
    return this.byId.get(sessionId);
  }

  /** Accepts the session token, the session id or any session JWT of the session. */
  revoke(tokenOrId: string): boolean {
    const id = this.idByToken.get(tokenOrId) ?? (this.byId.has(tokenOrId) ? tokenOrId : undefined) ?? this.idFromJwt(tokenOrId);
    const record = id === undefined ? undefined : this.byId.get(id);
    if (record === undefined || record.revoked) return false;
    record.revoked = true;
    return true;
  }

  authenticate(body: AuthenticateRequestBody): BackendReply {
    const hasToken = body.session_token !== undefined && body.session_token !== null;
    const hasJwt = body.session_jwt !== undefined && body.session_jwt !== null;
    if (hasToken && hasJwt) {
      return reply(400, stytchError(400, 'bad_request', 'Only one of session_token or session_jwt may be provided.'));
    }
    if (!hasToken && !hasJwt) {
      return reply(400, stytchError(400, 'bad_request', 'Either session_token or session_jwt must be provided.'));
    }

    let sessionId: string | undefined;
    if (hasToken) {
      if (typeof body.session_token !== 'string') {
        return reply(400, stytchError(400, 'bad_request', 'session_token must be a string.'));
      }
      sessionId = this.idByToken.get(body.session_token);
    } else {
      if (typeof body.session_jwt !== 'string') {
        return reply(400, stytchError(400, 'bad_request', 'session_jwt must be a string.'));
      }
      const verdict = this.checkJwtSignature(body.session_jwt);
      if (verdict === 'invalid') {
        return reply(401, stytchError(401, 'invalid_session_jwt', 'The session JWT is invalid.'));
      }
      sessionId = verdict;
    }

    const now = this.now();
    const record = sessionId === undefined ? undefined : this.byId.get(sessionId);
    if (record === undefined || record.revoked || record.expiresAt.getTime() <= now.getTime()) {
      return reply(404, stytchError(404, 'session_not_found', 'Session could not be found.'));
    }
    record.lastAccessedAt = now;
    return reply(200, this.authenticateResponse(record));
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /**
   * Stytch checks the signature of a session JWT but not its `exp`: an expired JWT of a live
   * session is how clients get a fresh one. Returns the session id, or `invalid`.
   */
  private checkJwtSignature(token: string): string | 'invalid' {
    const jws = decodeJws(token);
    if (jws === undefined || jws.header.alg !== 'RS256' || typeof jws.header.kid !== 'string') return 'invalid';
    const key = this.deps.keys.find(jws.header.kid);
    if (key === undefined || !verifyRs256(jws.signingInput, jws.signature, key)) return 'invalid';
    return sessionIdOf(jws.claims) ?? 'invalid';
  }

  private idFromJwt(token: string): string | undefined {
    const jws = decodeJws(token);
    return jws === undefined ? undefined : sessionIdOf(jws.claims);
  }

  private authenticateResponse(record: SessionRecord): StytchSessionsAuthenticateResponse {
    const created = rfc3339(record.startedAt);
    return {
      request_id: stytchRequestId(),
      status_code: 200,
      member: {
        member_id: record.memberId,
        organization_id: record.organizationId,
        email_address: record.email,
        email_address_verified: true,
        name: record.name,
        status: 'active',
        roles: record.roles.map((roleId) => ({ role_id: roleId, sources: [{ type: 'direct_assignment', details: {} }] })),
        trusted_metadata: {},
        untrusted_metadata: {},
        is_breakglass: false,
        mfa_enrolled: record.authenticationFactors.includes('totp'),
        created_at: created,
        updated_at: created,
      },
      member_session: {
        member_session_id: record.sessionId,
        member_id: record.memberId,
        organization_id: record.organizationId,
        organization_slug: record.organizationSlug,
        started_at: rfc3339(record.startedAt),
        last_accessed_at: rfc3339(record.lastAccessedAt),
        expires_at: rfc3339(record.expiresAt),
        authentication_factors: authenticationFactors(record.authenticationFactors, record.startedAt, record.factorAuthenticatedAt),
        custom_claims: { ...record.customClaims },
        roles: [...record.roles],
      },
      organization: {
        organization_id: record.organizationId,
        organization_name: record.organizationName,
        organization_slug: record.organizationSlug,
        organization_logo_url: '',
        trusted_metadata: {},
      },
      session_token: record.sessionToken,
      session_jwt: this.deps.mint(record),
    };
  }
}

function reply(status: number, body: unknown): BackendReply {
  return { status, body };
}
