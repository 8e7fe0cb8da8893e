import type { JWTPayload } from 'jose';
import type { AuthenticationFactorTime, Identity } from '../auth-context.js';
import { AuthError } from '../errors.js';

export const STYTCH_SESSION_CLAIM = 'https://stytch.com/session';
export const STYTCH_ORGANIZATION_CLAIM = 'https://stytch.com/organization';

const REGISTERED_CLAIMS = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', STYTCH_SESSION_CLAIM, STYTCH_ORGANIZATION_CLAIM]);
// Keys that would reach an object's prototype if copied by assignment somewhere downstream.
const POISON_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Stytch ids (`member-test-…`, `organization-live-…`) become MongoDB filter values, so they
 * must be plain, short strings that cannot be read as an operator (`$…`) or a path.
 */
const STYTCH_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

export function isSafeStytchId(value: unknown): value is string {
  return typeof value === 'string' && STYTCH_ID.test(value);
}

/** `what` names the field for the operator's log line; the value itself is never shown. */
function requireId(value: unknown, what: string): string {
  if (!isSafeStytchId(value)) throw new AuthError('token_invalid', { reason: `${what} is not a Stytch id` });
  return value;
}

const record = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

function date(v: unknown): Date | null {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const d = new Date(typeof v === 'number' ? v * 1000 : v);
  return Number.isNaN(d.getTime()) ? null : d;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/** Factor entries are objects with a `type` (Stytch) or bare strings (older payloads). */
function factorTypes(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const f of v) {
    if (typeof f === 'string') out.push(f);
    else {
      const type = record(f)?.type;
      if (typeof type === 'string') out.push(type);
    }
  }
  return out;
}

/** Each object entry's type, delivery method and `last_authenticated_at` (bare strings carry no time). */
function factorTimes(v: unknown): AuthenticationFactorTime[] {
  if (!Array.isArray(v)) return [];
  const out: AuthenticationFactorTime[] = [];
  for (const f of v) {
    const entry = typeof f === 'string' ? { type: f } : record(f);
    if (entry === null || typeof entry.type !== 'string') continue;
    out.push({
      type: entry.type,
      deliveryMethod: str((entry as Record<string, unknown>).delivery_method),
      lastAuthenticatedAt: date((entry as Record<string, unknown>).last_authenticated_at),
    });
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

function safeClaims(source: Record<string, unknown> | null, skip: ReadonlySet<string> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!source) return out;
  for (const key of Object.keys(source)) {
    if (POISON_KEYS.has(key) || skip?.has(key)) continue;
    out[key] = source[key];
  }
  return out;
}

function freezeIdentity(identity: Identity): Identity {
  return deepFreeze(identity);
}

/** The identity of a verified Stytch session JWT. */
export function identityFromClaims(payload: JWTPayload): Identity {
  const session = record(payload[STYTCH_SESSION_CLAIM]);
  const organization = record(payload[STYTCH_ORGANIZATION_CLAIM]);
  return freezeIdentity({
    memberId: requireId(payload.sub, 'claim sub'),
    sessionId: str(session?.id),
    stytchOrgId: requireId(organization?.organization_id, `claim ${STYTCH_ORGANIZATION_CLAIM}.organization_id`),
    orgSlug: str(organization?.slug),
    memberEmail: null,
    memberName: null,
    roles: strings(session?.roles),
    authenticationFactors: factorTypes(session?.authentication_factors),
    authenticationFactorTimes: factorTimes(session?.authentication_factors),
    sessionStartedAt: date(session?.started_at),
    sessionExpiresAt: date(session?.expires_at),
    sessionLastAccessedAt: date(session?.last_accessed_at),
    customClaims: safeClaims(payload as Record<string, unknown>, REGISTERED_CLAIMS),
  });
}

/** The identity of a `sessions/authenticate` answer (already shape-checked). */
export function identityFromSessionResponse(body: Record<string, unknown>): Identity {
  const memberSession = record(body.member_session);
  const member = record(body.member);
  const organization = record(body.organization);
  return freezeIdentity({
    memberId: requireId(member?.member_id ?? memberSession?.member_id, 'Stytch member_id'),
    sessionId: str(memberSession?.member_session_id),
    stytchOrgId: requireId(organization?.organization_id ?? memberSession?.organization_id, 'Stytch organization_id'),
    orgSlug: str(memberSession?.organization_slug ?? organization?.organization_slug),
    memberEmail: str(member?.email_address),
    memberName: str(member?.name),
    roles: strings(memberSession?.roles),
    authenticationFactors: factorTypes(memberSession?.authentication_factors),
    authenticationFactorTimes: factorTimes(memberSession?.authentication_factors),
    sessionStartedAt: date(memberSession?.started_at),
    sessionExpiresAt: date(memberSession?.expires_at),
    sessionLastAccessedAt: date(memberSession?.last_accessed_at),
    // Stytch may send `custom_claims: null`; that is no claims, not an error.
    customClaims: safeClaims(record(memberSession?.custom_claims), null),
  });
}
