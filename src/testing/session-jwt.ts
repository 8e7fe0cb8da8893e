/**
 * Stytch-shaped B2B session JWTs. Tokens are assembled by hand rather than through jose's
 * SignJWT so that tests can also mint what a well-behaved library refuses to produce (other
 * algorithms, missing `typ`, odd claims): the verifier under test must reject those.
 */
import { randomUUID } from 'node:crypto';
import { signJws, type SigningKey } from './signing-keys.js';
import {
  authenticationFactors,
  ORGANIZATION_CLAIM,
  rfc3339,
  SESSION_CLAIM,
  type StytchOrganizationClaim,
  type StytchSessionClaim,
} from './stytch-shapes.js';

/** A point in time: a `Date`, or seconds since the epoch (the unit of `iat`/`nbf`/`exp`). */
export type TimeInput = Date | number;

export interface SessionJwtInput {
  /** `sub`. Default `member-test-<uuid>`. */
  memberId?: string;
  /** Stytch organization id. Default `organization-test-<uuid>`. */
  organizationId?: string;
  /**
   * Alias of `organizationId` (the *Stytch* organization id, not the MongoDB `orgId` of the
   * context). Giving both with different values throws.
   */
  orgId?: string;
  /** Default `test-org-<8 hex>`. */
  organizationSlug?: string;
  /** Default `['stytch_member']`, the role Stytch gives every member. */
  roles?: string[];
  /** Factor types (`magic_link`, `totp`, `sso`…); delivery methods follow Stytch's pairing. Default `['magic_link']`. */
  authenticationFactors?: string[];
  /**
   * `last_authenticated_at` of a factor type (`{ totp: new Date(Date.now() - 15 * 60_000) }`), to
   * test step-up guards (`requireFactors(types, { within })`). Default: the session's start.
   */
  factorAuthenticatedAt?: Record<string, TimeInput>;
  /** Put at the top level of the claims, as Stytch does with session custom claims. */
  customClaims?: Record<string, unknown>;
  /** `member-session-test-<uuid>` by default. Naming a registered session reuses its member, org, factors and claims. */
  sessionId?: string;
  sessionStartedAt?: TimeInput;
  sessionLastAccessedAt?: TimeInput;
  /** The session's own expiry (not the JWT's). Default: one hour after `iat`, and never before `exp`. */
  sessionExpiresAt?: TimeInput;
  /** Lifetime of the JWT. Default 300, like Stytch. */
  expiresInSec?: number;
  /** Absolute `exp`; wins over `expiresInSec`. */
  expiresAt?: TimeInput;
  /** `iat`. Default now. */
  issuedAt?: TimeInput;
  /** `nbf`. Default `iat`. */
  notBefore?: TimeInput;
  /** `aud`. Default `[projectId]`. */
  audience?: string | string[];
  /** `iss`. Default the issuer's (`stytch.com/<projectId>` or its base URL). */
  issuer?: string;
  /**
   * Merged over `{ alg: 'RS256', kid, typ: 'JWT' }`; a key set to `undefined` is removed.
   * `alg` may be `none`, `HS256` (keyed with the public key PEM), `RS384`, `PS256`…: the token
   * is then really signed that way, to test that the verifier pins RS256.
   */
  header?: Record<string, unknown>;
  /** Merged over the finished claims last; a key set to `undefined` is removed (e.g. `{ sub: undefined }`). */
  claims?: Record<string, unknown>;
}

/** What a session is, independent of any one JWT minted for it. */
export interface SessionFacts {
  sessionId: string;
  memberId: string;
  organizationId: string;
  organizationSlug: string;
  roles: string[];
  authenticationFactors: string[];
  /** Per factor type, its `last_authenticated_at` when not the session's start. */
  factorAuthenticatedAt?: Record<string, Date>;
  customClaims: Record<string, unknown>;
  startedAt: Date;
  lastAccessedAt: Date;
  expiresAt: Date;
}

export interface MintContext {
  projectId: string;
  issuer: string;
  key: SigningKey;
  /** A registered session whose facts fill whatever the input leaves out. */
  session?: SessionFacts;
  now?: Date;
}

export const DEFAULT_JWT_LIFETIME_SEC = 300;
export const DEFAULT_SESSION_DURATION_SEC = 3600;

export function toEpochSeconds(time: TimeInput): number {
  return typeof time === 'number' ? time : Math.floor(time.getTime() / 1000);
}

export function toDate(time: TimeInput): Date {
  return typeof time === 'number' ? new Date(time * 1000) : new Date(time.getTime());
}

function shortId(): string {
  return randomUUID().slice(0, 8);
}

export function newSessionId(): string {
  return `member-session-test-${randomUUID()}`;
}

function factorTimesOf(
  input: Record<string, TimeInput> | undefined,
  base: Record<string, Date> | undefined,
): { factorAuthenticatedAt?: Record<string, Date> } {
  if (input === undefined) return base === undefined ? {} : { factorAuthenticatedAt: { ...base } };
  const times: Record<string, Date> = {};
  for (const [type, at] of Object.entries(input)) times[type] = toDate(at);
  return { factorAuthenticatedAt: times };
}

/** Session facts from an input, falling back to a known session, then to fresh defaults. */
export function resolveSessionFacts(
  input: SessionJwtInput,
  base: SessionFacts | undefined,
  defaults: { issuedAt: Date; jwtExpiresAt: Date },
): SessionFacts {
  if (input.orgId !== undefined && input.organizationId !== undefined && input.orgId !== input.organizationId) {
    throw new Error('sessionJwt: `orgId` is an alias of `organizationId`; give one of them (or the same value)');
  }
  const startedAt = input.sessionStartedAt ?? base?.startedAt ?? defaults.issuedAt;
  const lastAccessedAt = input.sessionLastAccessedAt ?? base?.lastAccessedAt ?? defaults.issuedAt;
  const fallbackExpiry = Math.max(
    defaults.issuedAt.getTime() + DEFAULT_SESSION_DURATION_SEC * 1000,
    defaults.jwtExpiresAt.getTime(),
  );
  return {
    sessionId: input.sessionId ?? base?.sessionId ?? newSessionId(),
    memberId: input.memberId ?? base?.memberId ?? `member-test-${randomUUID()}`,
    organizationId: input.organizationId ?? input.orgId ?? base?.organizationId ?? `organization-test-${randomUUID()}`,
    organizationSlug: input.organizationSlug ?? base?.organizationSlug ?? `test-org-${shortId()}`,
    roles: [...(input.roles ?? base?.roles ?? ['stytch_member'])],
    authenticationFactors: [...(input.authenticationFactors ?? base?.authenticationFactors ?? ['magic_link'])],
    customClaims: { ...(input.customClaims ?? base?.customClaims ?? {}) },
    ...factorTimesOf(input.factorAuthenticatedAt, base?.factorAuthenticatedAt),
    startedAt: toDate(startedAt),
    lastAccessedAt: toDate(lastAccessedAt),
    expiresAt: toDate(input.sessionExpiresAt ?? base?.expiresAt ?? new Date(fallbackExpiry)),
  };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

export interface MintedSessionJwt {
  jwt: string;
  facts: SessionFacts;
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

export function mintSessionJwt(input: SessionJwtInput, context: MintContext): MintedSessionJwt {
  const now = context.now ?? new Date();
  const iat = toEpochSeconds(input.issuedAt ?? now);
  const nbf = toEpochSeconds(input.notBefore ?? iat);
  const exp = toEpochSeconds(input.expiresAt ?? iat + (input.expiresInSec ?? DEFAULT_JWT_LIFETIME_SEC));
  const facts = resolveSessionFacts(input, context.session, {
    issuedAt: toDate(iat),
    jwtExpiresAt: toDate(exp),
  });

  const session: StytchSessionClaim = {
    id: facts.sessionId,
    started_at: rfc3339(facts.startedAt),
    last_accessed_at: rfc3339(facts.lastAccessedAt),
    expires_at: rfc3339(facts.expiresAt),
    attributes: { user_agent: '', ip_address: '' },
    authentication_factors: authenticationFactors(facts.authenticationFactors, facts.startedAt, facts.factorAuthenticatedAt),
    roles: facts.roles,
  };
  const organization: StytchOrganizationClaim = {
    organization_id: facts.organizationId,
    slug: facts.organizationSlug,
  };
  const audience = input.audience ?? [context.projectId];

  // Custom claims go first: like Stytch, a custom claim never shadows a registered one.
  const claims = withoutUndefined({
    ...facts.customClaims,
    aud: Array.isArray(audience) ? [...audience] : audience,
    exp,
    [SESSION_CLAIM]: session,
    [ORGANIZATION_CLAIM]: organization,
    iat,
    iss: input.issuer ?? context.issuer,
    nbf,
    sub: facts.memberId,
    ...input.claims,
  });
  const header = withoutUndefined({ alg: 'RS256', kid: context.key.kid, typ: 'JWT', ...input.header });

  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  const signature = signJws(header.alg ?? 'RS256', signingInput, context.key);
  return { jwt: `${signingInput}.${signature.toString('base64url')}`, facts, header, claims };
}

export interface DecodedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits a compact JWS without trusting it; `undefined` when it is not one. */
export function decodeJws(token: string): DecodedJws | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header: unknown = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    const claims: unknown = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    if (!isRecord(header) || !isRecord(claims)) return undefined;
    return { header, claims, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
  } catch {
    return undefined;
  }
}

/** The session id a Stytch session JWT names, if any. */
export function sessionIdOf(claims: Record<string, unknown>): string | undefined {
  const session = claims[SESSION_CLAIM];
  return isRecord(session) && typeof session.id === 'string' ? session.id : undefined;
}

const EXPIRED_ISSUED_AGO_SEC = 900;
const NOT_YET_VALID_IN_SEC = 600;

export interface SessionJwtFactories {
  sessionJwt(input?: SessionJwtInput): string;
  expiredSessionJwt(input?: SessionJwtInput): string;
  notYetValidSessionJwt(input?: SessionJwtInput): string;
  wrongKeySessionJwt(input?: SessionJwtInput): string;
}

/**
 * The token helpers both issuers offer, from their own `mint`: valid, expired ten minutes ago
 * (issued fifteen ago), valid only ten minutes from now, and signed by a key the JWKS lacks.
 */
export function sessionJwtFactories<K>(mint: (input: SessionJwtInput, key?: K) => string, wrongKey: () => K): SessionJwtFactories {
  const nowSec = (): number => Math.floor(Date.now() / 1000);
  return {
    sessionJwt: (input = {}) => mint(input),
    expiredSessionJwt: (input = {}) =>
      mint({ issuedAt: nowSec() - EXPIRED_ISSUED_AGO_SEC, expiresInSec: DEFAULT_JWT_LIFETIME_SEC, ...input }),
    notYetValidSessionJwt: (input = {}) => {
      const notBefore = nowSec() + NOT_YET_VALID_IN_SEC;
      return mint({ notBefore, expiresAt: notBefore + DEFAULT_JWT_LIFETIME_SEC, ...input });
    },
    wrongKeySessionJwt: (input = {}) => mint(input, wrongKey()),
  };
}
