/**
 * Stytch-shaped M2M access tokens (client-credentials JWTs), signed by the issuer's keys like
 * its session JWTs: `sub` the M2M client, `scope` space-separated, `aud: [projectId]`, one hour.
 * Assembled by hand, like the session JWTs, so tests can mint malformed ones too.
 */
import { randomUUID } from 'node:crypto';
import { signJws, type SigningKey } from './signing-keys.js';
import { toEpochSeconds, type TimeInput } from './session-jwt.js';

export interface M2mTokenInput {
  /** `sub`. Default `m2m-client-test-<uuid>`. */
  clientId?: string;
  /** Joined with spaces into `scope`. Default `[]` (an empty `scope`). */
  scopes?: string[];
  /** Top-level claims, as Stytch's M2M custom claim templates add them. */
  customClaims?: Record<string, unknown>;
  /** Lifetime. Default 3600, like Stytch. */
  expiresInSec?: number;
  /** Absolute `exp`; wins over `expiresInSec`. */
  expiresAt?: TimeInput;
  /** `iat`. Default now. */
  issuedAt?: TimeInput;
  /** `nbf`. Default `iat`. */
  notBefore?: TimeInput;
  /** `aud`. Default `[projectId]`. */
  audience?: string | string[];
  /** `iss`. Default the issuer's. */
  issuer?: string;
  /** Merged over `{ alg: 'RS256', kid, typ: 'JWT' }`; a key set to `undefined` is removed. */
  header?: Record<string, unknown>;
  /** Merged over the finished claims last; a key set to `undefined` is removed. */
  claims?: Record<string, unknown>;
}

export const DEFAULT_M2M_LIFETIME_SEC = 3600;

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}

const base64urlJson = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

export function mintM2mToken(input: M2mTokenInput, context: { projectId: string; issuer: string; key: SigningKey }): string {
  const iat = toEpochSeconds(input.issuedAt ?? new Date());
  const nbf = toEpochSeconds(input.notBefore ?? iat);
  const exp = toEpochSeconds(input.expiresAt ?? iat + (input.expiresInSec ?? DEFAULT_M2M_LIFETIME_SEC));
  const audience = input.audience ?? [context.projectId];
  // Custom claims first: like Stytch, a custom claim never shadows a registered one.
  const claims = withoutUndefined({
    ...input.customClaims,
    aud: Array.isArray(audience) ? [...audience] : audience,
    exp,
    iat,
    iss: input.issuer ?? context.issuer,
    jti: `m2m-token-test-${randomUUID()}`,
    nbf,
    scope: (input.scopes ?? []).join(' '),
    sub: input.clientId ?? `m2m-client-test-${randomUUID()}`,
    ...input.claims,
  });
  const header = withoutUndefined({ alg: 'RS256', kid: context.key.kid, typ: 'JWT', ...input.header });
  const signingInput = `${base64urlJson(header)}.${base64urlJson(claims)}`;
  return `${signingInput}.${signJws(header.alg ?? 'RS256', signingInput, context.key).toString('base64url')}`;
}
