/**
 * The hostile corpus: bad tokens and bad `Authorization` headers, each with the exact answer
 * expected from every adapter. `status` with `code: null` is a refusal by Node's HTTP parser
 * itself (the request never reaches the app): still an answer, never a crash.
 */
import type { SessionJwtInput, TestIssuer } from 'ayz-auth/testing';

export const ALICE = 'member-test-hostile-alice';
export const ACME = 'organization-test-hostile-acme';
export const BOB = 'member-test-hostile-bob';
export const BETA = 'organization-test-hostile-beta';

export interface CorpusKit {
  issuer: TestIssuer;
  /** A second issuer for the same project id: another key, another JWKS address. */
  evil: TestIssuer;
  /** A session JWT of Alice (Acme), with these overrides. */
  jwt(input?: SessionJwtInput): string;
  /** Whole seconds of the (frozen) clock, for the leeway cases. */
  nowSec(): number;
}

export interface CorpusRequest {
  path?: string;
  /** Sent with Node's client; an array value is sent as that many header lines. */
  headers?: Record<string, string | string[]>;
  /** Raw header lines, bytes as given (for what Node's client refuses to send). */
  raw?: Buffer[];
  /** On the app whose Node server accepts 64 KB of headers. */
  bigHeaders?: boolean;
}

export interface CorpusExpectation {
  status: number;
  /** The JSON `error` code; null for a refusal by Node's HTTP parser (no app involved). */
  code: string | null;
  /** For a 200: the member the context must name (Alice unless said). */
  member?: string;
  check?: (json: any) => void;
}

export interface CorpusCase {
  name: string;
  /** Run with `Date` frozen (the leeway edges). */
  frozenClock?: boolean;
  /**
   * A core bug found by this case and not fixed yet. Such cases are excluded from the corpus
   * run, and a test fails while any case carries the marker: it cannot be left behind.
   */
  knownBug?: string;
  request(k: CorpusKit): CorpusRequest;
  expect: CorpusExpectation;
}

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const nest = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));
const depthOf = (value: unknown): number => {
  let depth = 0;
  let at: unknown = value;
  while (Array.isArray(at)) {
    depth++;
    at = at[0];
  }
  return depth;
};
const line = (text: string, encoding: BufferEncoding = 'latin1') => Buffer.from(text, encoding);

/** Replaces the protected header of a token, keeping payload and signature. */
function withHeader(token: string, header: unknown, signature?: string): string {
  const [, payload, sig] = token.split('.');
  return `${b64(header)}.${payload}.${signature ?? sig}`;
}

const ORG_CLAIM = 'https://stytch.com/organization';
const SESSION_CLAIM = 'https://stytch.com/session';

const ok: CorpusExpectation = { status: 200, code: null };
const invalid: CorpusExpectation = { status: 401, code: 'token_invalid' };
const malformed: CorpusExpectation = { status: 401, code: 'token_malformed' };

export const CORPUS: readonly CorpusCase[] = [
  // --- baselines: the corpus app does answer 200 / 403 ---
  { name: 'baseline: a valid session JWT', request: (k) => ({ headers: bearer(k.jwt()) }), expect: ok },
  {
    name: 'baseline: entitlement denied for an org without it',
    request: (k) => ({ path: '/ent', headers: bearer(k.jwt({ memberId: BOB, organizationId: BETA })) }),
    expect: { status: 403, code: 'entitlement_missing' },
  },

  // --- algorithms ---
  { name: 'alg none, empty signature', request: (k) => ({ headers: bearer(k.jwt({ header: { alg: 'none' } })) }), expect: invalid },
  { name: 'alg None (case variant), empty signature', request: (k) => ({ headers: bearer(withHeader(k.jwt(), { alg: 'None', typ: 'JWT' }, '')) }), expect: invalid },
  { name: 'alg none keeping the real RS256 signature', request: (k) => ({ headers: bearer(withHeader(k.jwt(), { alg: 'none', typ: 'JWT', kid: k.issuer.kid })) }), expect: invalid },
  { name: 'HS256 keyed with the RSA public key (PEM)', request: (k) => ({ headers: bearer(k.jwt({ header: { alg: 'HS256' } })) }), expect: invalid },
  { name: 'HS512 keyed with the RSA public key (PEM)', request: (k) => ({ headers: bearer(k.jwt({ header: { alg: 'HS512' } })) }), expect: invalid },
  { name: 'RS384 with the real key', request: (k) => ({ headers: bearer(k.jwt({ header: { alg: 'RS384' } })) }), expect: invalid },
  { name: 'PS256 with the real key', request: (k) => ({ headers: bearer(k.jwt({ header: { alg: 'PS256' } })) }), expect: invalid },
  { name: 'alg missing', request: (k) => ({ headers: bearer(withHeader(k.jwt(), { typ: 'JWT', kid: k.issuer.kid })) }), expect: invalid },

  // --- kid ---
  { name: 'kid 4000 characters long', request: (k) => ({ headers: bearer(k.jwt({ header: { kid: 'k'.repeat(4000) } })) }), expect: invalid },
  { name: 'kid with path traversal', request: (k) => ({ headers: bearer(k.jwt({ header: { kid: '../../../../etc/passwd' } })) }), expect: invalid },
  { name: 'kid that is a URL', request: (k) => ({ headers: bearer(k.jwt({ header: { kid: 'https://evil.example/jwks.json?x=../..#frag' } })) }), expect: invalid },
  { name: 'kid with NUL and percent-encoding', request: (k) => ({ headers: bearer(k.jwt({ header: { kid: 'a\u0000b%2e%2e%2f' } })) }), expect: invalid },
  { name: 'kid that is a number', request: (k) => ({ headers: bearer(k.jwt({ header: { kid: 12345 } })) }), expect: invalid },
  { name: 'kid that is an object', request: (k) => ({ headers: bearer(k.jwt({ header: { kid: { $ne: null } } })) }), expect: invalid },
  { name: "kid naming another issuer's key, signed by it", request: (k) => ({ headers: bearer(k.evil.sessionJwt({ memberId: ALICE, organizationId: ACME })) }), expect: invalid },
  { name: 'our kid, signed by a key the JWKS does not hold', request: (k) => ({ headers: bearer(k.issuer.wrongKeySessionJwt({ memberId: ALICE, organizationId: ACME })) }), expect: invalid },

  // --- key-carrying headers are ignored ---
  {
    name: "jku / x5u / jwk naming the attacker's keys, signed by the attacker",
    request: (k) => ({
      headers: bearer(
        k.evil.sessionJwt({
          memberId: ALICE,
          organizationId: ACME,
          header: { jku: k.evil.jwksUrl, x5u: k.evil.jwksUrl, jwk: k.evil.jwks()[0], x5c: ['MIIB'] },
        }),
      ),
    }),
    expect: invalid,
  },
  {
    name: "jku / x5u / jwk naming the attacker's keys, attacker key under our kid",
    request: (k) => ({
      headers: bearer(
        k.evil.sessionJwt({ memberId: ALICE, organizationId: ACME, header: { kid: k.issuer.kid, jku: k.evil.jwksUrl, jwk: k.evil.jwks()[0] } }),
      ),
    }),
    expect: invalid,
  },
  {
    name: 'jku / x5u / jwk on a genuinely signed token: ignored, accepted',
    request: (k) => ({ headers: bearer(k.jwt({ header: { jku: k.evil.jwksUrl, x5u: k.evil.jwksUrl, jwk: k.evil.jwks()[0] } })) }),
    expect: ok,
  },
  { name: 'crit naming an unknown extension', request: (k) => ({ headers: bearer(k.jwt({ header: { crit: ['exp'], exp: 1 } })) }), expect: invalid },
  { name: 'typ missing', request: (k) => ({ headers: bearer(k.jwt({ header: { typ: undefined } })) }), expect: invalid },
  { name: 'typ at+jwt', request: (k) => ({ headers: bearer(k.jwt({ header: { typ: 'at+jwt' } })) }), expect: invalid },

  // --- tampering ---
  {
    name: "Alice's signature on Bob's payload",
    request: (k) => {
      const [h, , s] = k.jwt().split('.');
      const [, p] = k.jwt({ memberId: BOB, organizationId: BETA }).split('.');
      return { headers: bearer(`${h}.${p}.${s}`) };
    },
    expect: invalid,
  },
  { name: 'signature truncated by 4 characters', request: (k) => ({ headers: bearer(k.jwt().slice(0, -4)) }), expect: invalid },
  { name: 'signature segment empty', request: (k) => ({ headers: bearer(k.jwt().replace(/\.[^.]+$/, '.')) }), expect: invalid },
  { name: 'header segment not JSON', request: (k) => ({ headers: bearer(`${b64('not json at all')}.${k.jwt().split('.')[1]}.${k.jwt().split('.')[2]}`) }), expect: invalid },
  { name: 'payload segment not JSON (forged)', request: (k) => ({ headers: bearer(`${k.jwt().split('.')[0]}.${b64('{"sub":')}.${k.jwt().split('.')[2]}`) }), expect: invalid },
  {
    name: 'protected header nested 2000 deep (forged)',
    request: (k) => ({ headers: bearer(withHeader(k.jwt(), { alg: 'RS256', typ: 'JWT', kid: k.issuer.kid, x: nest(2000) })) }),
    expect: invalid,
  },

  // --- issuer and audience ---
  { name: 'iss of another project', request: (k) => ({ headers: bearer(k.jwt({ issuer: 'stytch.com/project-test-someone-else' })) }), expect: invalid },
  { name: 'iss missing', request: (k) => ({ headers: bearer(k.jwt({ claims: { iss: undefined } })) }), expect: invalid },
  { name: 'aud as a string (our project)', request: (k) => ({ headers: bearer(k.jwt({ audience: k.issuer.projectId })) }), expect: ok },
  { name: 'aud as an array holding our project among others', request: (k) => ({ headers: bearer(k.jwt({ audience: ['project-test-other', k.issuer.projectId] })) }), expect: ok },
  { name: 'aud as a string (another project)', request: (k) => ({ headers: bearer(k.jwt({ audience: 'project-test-other' })) }), expect: invalid },
  { name: 'aud as an array without our project', request: (k) => ({ headers: bearer(k.jwt({ audience: ['project-test-other', 'x'] })) }), expect: invalid },
  { name: 'aud as an empty array', request: (k) => ({ headers: bearer(k.jwt({ audience: [] })) }), expect: invalid },
  { name: 'aud missing', request: (k) => ({ headers: bearer(k.jwt({ claims: { aud: undefined } })) }), expect: invalid },
  { name: 'aud as a number', request: (k) => ({ headers: bearer(k.jwt({ claims: { aud: 42 } })) }), expect: invalid },
  { name: 'aud as an object', request: (k) => ({ headers: bearer(k.jwt({ claims: { aud: { $in: [k.issuer.projectId] } } })) }), expect: invalid },

  // --- sub and organization id: never an operator, a path or a non-string ---
  { name: 'sub as an object ($ne)', request: (k) => ({ headers: bearer(k.jwt({ claims: { sub: { $ne: null } } })) }), expect: invalid },
  { name: 'sub as an array', request: (k) => ({ headers: bearer(k.jwt({ claims: { sub: [ALICE] } })) }), expect: invalid },
  { name: 'sub as a number', request: (k) => ({ headers: bearer(k.jwt({ claims: { sub: 12345 } })) }), expect: invalid },
  { name: 'sub starting with $', request: (k) => ({ headers: bearer(k.jwt({ memberId: '$where' })) }), expect: invalid },
  { name: 'sub with an embedded $ operator', request: (k) => ({ headers: bearer(k.jwt({ memberId: 'member-test-x.$gt' })) }), expect: invalid },
  { name: 'sub empty', request: (k) => ({ headers: bearer(k.jwt({ memberId: '' })) }), expect: invalid },
  { name: 'sub 200 characters', request: (k) => ({ headers: bearer(k.jwt({ memberId: `member-test-${'x'.repeat(188)}` })) }), expect: invalid },
  { name: 'sub missing', request: (k) => ({ headers: bearer(k.jwt({ claims: { sub: undefined } })) }), expect: invalid },
  { name: 'organization_id as an object ($gt)', request: (k) => ({ headers: bearer(k.jwt({ claims: { [ORG_CLAIM]: { organization_id: { $gt: '' }, slug: 'x' } } })) }), expect: invalid },
  { name: 'organization_id as an array', request: (k) => ({ headers: bearer(k.jwt({ claims: { [ORG_CLAIM]: { organization_id: [ACME], slug: 'x' } } })) }), expect: invalid },
  { name: 'organization_id as a number', request: (k) => ({ headers: bearer(k.jwt({ claims: { [ORG_CLAIM]: { organization_id: 7, slug: 'x' } } })) }), expect: invalid },
  { name: 'organization_id starting with $', request: (k) => ({ headers: bearer(k.jwt({ organizationId: '$expr' })) }), expect: invalid },
  { name: 'organization claim a string', request: (k) => ({ headers: bearer(k.jwt({ claims: { [ORG_CLAIM]: ACME } })) }), expect: invalid },
  { name: 'organization claim missing', request: (k) => ({ headers: bearer(k.jwt({ claims: { [ORG_CLAIM]: undefined } })) }), expect: invalid },

  // --- prototype keys, odd shapes, deep nesting (genuinely signed) ---
  {
    name: '__proto__ / constructor / prototype as top-level claims',
    request: (k) => ({
      headers: bearer(
        k.jwt({
          claims: JSON.parse('{"__proto__":{"polluted":true,"roles":["stytch_admin"]},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true},"tenant":"acme"}'),
        }),
      ),
    }),
    expect: {
      ...ok,
      check: (json) => {
        if (JSON.stringify(json.customClaims) !== '{"tenant":"acme"}') throw new Error(`customClaims: ${JSON.stringify(json.customClaims)}`);
        if (JSON.stringify(json.roles) !== '["stytch_member"]') throw new Error(`roles: ${JSON.stringify(json.roles)}`);
      },
    },
  },
  {
    name: '__proto__ inside the session claim carrying roles and factors',
    request: (k) => ({
      headers: bearer(
        k.jwt({ claims: { [SESSION_CLAIM]: JSON.parse('{"__proto__":{"roles":["stytch_admin"],"authentication_factors":[{"type":"totp"}]},"id":"member-session-test-x"}') } }),
      ),
    }),
    expect: {
      ...ok,
      check: (json) => {
        if (json.roles.length !== 0 || json.authenticationFactors.length !== 0) throw new Error('roles or factors came from __proto__');
      },
    },
  },
  {
    name: '__proto__ inside the organization claim carrying the id',
    request: (k) => ({ headers: bearer(k.jwt({ claims: { [ORG_CLAIM]: JSON.parse(`{"__proto__":{"organization_id":"${ACME}"},"slug":"x"}`) } })) }),
    expect: invalid,
  },
  {
    name: 'session claim fields of the wrong types (string, numbers)',
    request: (k) => ({
      headers: bearer(k.jwt({ claims: { [SESSION_CLAIM]: { id: 'member-session-test-odd', roles: 'admin', authentication_factors: 'totp', started_at: { $date: 1 }, expires_at: 'soon' } } })),
    }),
    expect: {
      ...ok,
      check: (json) => {
        if (json.sessionId !== 'member-session-test-odd' || json.roles.length !== 0 || json.sessionExpiresAt !== null) throw new Error('odd session claim leaked through');
      },
    },
  },

  // --- token types: Stytch signs other tokens with the same keys, iss, aud and typ ---
  { name: 'session claim id a number', request: (k) => ({ headers: bearer(k.jwt({ claims: { [SESSION_CLAIM]: { id: 5 } } })) }), expect: invalid },
  { name: 'session claim a string', request: (k) => ({ headers: bearer(k.jwt({ claims: { [SESSION_CLAIM]: 'member-session-test-x' } })) }), expect: invalid },
  {
    name: 'Connected App access token of the member (scope, client_id, organization claim, no session claim)',
    request: (k) => ({
      headers: bearer(
        k.jwt({ claims: { [SESSION_CLAIM]: undefined, client_id: 'connected-app-test-d731954d-dab3-4a2b-bdee-07f3ad1be888', scope: 'openid email profile phone', jti: 'LOe49j3s9d9dmacslUvrb15ZIjPbptMm7fS5UlE52JCF' } }),
      ),
    }),
    expect: invalid,
  },
  {
    name: 'M2M access token (sub = client id, scope, no session, no organization)',
    request: (k) => ({
      headers: bearer(
        k.jwt({ claims: { sub: 'm2m-client-test-d731954d-dab3-4a2b-bdee-07f3ad1be885', scope: 'read:users write:users', [SESSION_CLAIM]: undefined, [ORG_CLAIM]: undefined } }),
      ),
    }),
    expect: invalid,
  },
  {
    name: 'custom claim nested 2000 deep',
    request: (k) => ({ headers: bearer(k.jwt({ customClaims: { deep: nest(2000) } })) }),
    expect: {
      ...ok,
      check: (json) => {
        if (depthOf(json.customClaims.deep) !== 2000) throw new Error('deep claim not kept intact');
      },
    },
  },
  // 4 KB of custom claims (Stytch's limit) cannot nest deeper than 2,048 levels: deeper is not Stytch's.
  { name: 'custom claim nested 3500 deep (token over 8 KB, deeper than Stytch can issue)', request: (k) => ({ bigHeaders: true, headers: bearer(k.jwt({ customClaims: { deep: nest(3500) } })) }), expect: invalid },

  // --- time claims, at the leeway edges (clock frozen; leeway 5 s) ---
  { name: 'exp = now - 5 s (just past the leeway)', frozenClock: true, request: (k) => ({ headers: bearer(k.jwt({ issuedAt: k.nowSec() - 60, expiresAt: k.nowSec() - 5 })) }), expect: { status: 401, code: 'token_expired' } },
  { name: 'exp = now - 4 s (inside the leeway)', frozenClock: true, request: (k) => ({ headers: bearer(k.jwt({ issuedAt: k.nowSec() - 60, expiresAt: k.nowSec() - 4 })) }), expect: ok },
  { name: 'exp = now (inside the leeway)', frozenClock: true, request: (k) => ({ headers: bearer(k.jwt({ issuedAt: k.nowSec() - 60, expiresAt: k.nowSec() })) }), expect: ok },
  { name: 'nbf = now + 5 s (at the leeway)', frozenClock: true, request: (k) => ({ headers: bearer(k.jwt({ notBefore: k.nowSec() + 5 })) }), expect: ok },
  { name: 'nbf = now + 6 s (past the leeway)', frozenClock: true, request: (k) => ({ headers: bearer(k.jwt({ notBefore: k.nowSec() + 6 })) }), expect: { status: 401, code: 'token_not_yet_valid' } },
  { name: 'exp as a string', request: (k) => ({ headers: bearer(k.jwt({ claims: { exp: String(k.nowSec() + 300) } })) }), expect: invalid },
  { name: 'exp missing', request: (k) => ({ headers: bearer(k.jwt({ claims: { exp: undefined } })) }), expect: invalid },
  {
    name: 'nbf as an object',
    request: (k) => ({ headers: bearer(k.jwt({ claims: { nbf: { $lt: 1 } } })) }), expect: invalid },

  // --- Authorization headers ---
  { name: 'no Authorization header', request: () => ({ headers: {} }), expect: { status: 401, code: 'token_missing' } },
  { name: 'empty Authorization header', request: () => ({ headers: { authorization: '' } }), expect: { status: 401, code: 'token_missing' } },
  { name: 'scheme only', request: () => ({ headers: { authorization: 'Bearer' } }), expect: { status: 401, code: 'token_empty' } },
  { name: 'another scheme (Basic)', request: () => ({ headers: { authorization: 'Basic YWxpY2U6c2VjcmV0' } }), expect: { status: 401, code: 'scheme_invalid' } },
  { name: 'scheme lower-case', request: (k) => ({ headers: { authorization: `bearer ${k.jwt()}` } }), expect: ok },
  { name: 'header name upper-case', request: (k) => ({ headers: { AUTHORIZATION: `BEARER ${k.jwt()}` } }), expect: ok },
  { name: 'token padded with 4000 spaces', request: (k) => ({ headers: { authorization: `Bearer ${' '.repeat(4000)}${k.jwt()}   ` } }), expect: ok },
  { name: 'two Authorization headers (both valid)', request: (k) => ({ headers: { authorization: [`Bearer ${k.jwt()}`, `Bearer ${k.jwt()}`] } }), expect: { status: 401, code: 'token_multiple' } },
  { name: 'two Authorization headers (valid + empty)', request: (k) => ({ headers: { authorization: [`Bearer ${k.jwt()}`, ''] } }), expect: { status: 401, code: 'token_multiple' } },
  { name: 'two Authorization headers (other user second)', request: (k) => ({ headers: { authorization: [`Bearer ${k.jwt()}`, `Bearer ${k.jwt({ memberId: BOB, organizationId: BETA })}`] } }), expect: { status: 401, code: 'token_multiple' } },
  { name: 'two tokens folded into one header', request: (k) => ({ headers: { authorization: `Bearer ${k.jwt()}, Bearer ${k.jwt()}` } }), expect: { status: 401, code: 'token_multiple' } },
  { name: 'token too short', request: () => ({ headers: bearer('abc.def.ghi') }), expect: malformed },
  { name: 'token with characters outside base64url', request: (k) => ({ headers: bearer(`${k.jwt()}!`) }), expect: malformed },
  { name: 'token with four segments', request: (k) => ({ headers: bearer(`${k.jwt()}.AAAA`) }), expect: { status: 401, code: 'token_unsupported' } },
  { name: 'opaque token without a secret configured', request: () => ({ headers: bearer('sess_tok_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') }), expect: { status: 401, code: 'token_unsupported' } },
  { name: 'opaque token of 12 KB (no secret configured)', request: () => ({ headers: bearer('a'.repeat(12 * 1024)) }), expect: { status: 401, code: 'token_unsupported' } },
  { name: 'JWT-shaped junk of 12 KB', request: () => ({ headers: bearer(`${'a'.repeat(4 * 1024)}.${'b'.repeat(4 * 1024)}.${'c'.repeat(4 * 1024)}`) }), expect: invalid },
  { name: 'header of 17 KB (over Node’s 16 KB limit)', request: () => ({ raw: [line(`Authorization: Bearer ${'a'.repeat(17 * 1024)}`)] }), expect: { status: 431, code: null } },
  { name: 'header of 20 KB on a server allowing 64 KB', request: () => ({ bigHeaders: true, headers: bearer('a'.repeat(20 * 1024)) }), expect: malformed },
  { name: 'header of 60 KB on a server allowing 64 KB', request: (k) => ({ bigHeaders: true, headers: { authorization: `Bearer ${k.jwt()} ${'b'.repeat(60 * 1024)}` } }), expect: malformed },
  { name: 'non-ASCII (UTF-8) inside the token', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt().slice(0, 40)}é${k.jwt().slice(40)}`, 'utf8')] }), expect: malformed },
  { name: 'non-ASCII token (Cyrillic)', request: () => ({ raw: [line(`Authorization: Bearer ${'токен'.repeat(8)}`, 'utf8')] }), expect: malformed },
  { name: 'non-ASCII scheme', request: (k) => ({ raw: [line(`Authorization: Bеarer ${k.jwt()}`, 'utf8')] }), expect: { status: 401, code: 'scheme_invalid' } },
  { name: 'emoji appended to the token', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt()}\u{1F600}`, 'utf8')] }), expect: malformed },
  { name: 'tab inside the token', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt().slice(0, 30)}\t${k.jwt().slice(30)}`)] }), expect: { status: 401, code: 'token_multiple' } },
  { name: 'tab as the scheme separator', request: (k) => ({ raw: [line(`Authorization: Bearer\t${k.jwt()}`)] }), expect: ok },
  { name: 'control character 0x01 inside the token (refused by Node)', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt().slice(0, 30)}\u0001${k.jwt().slice(30)}`)] }), expect: { status: 400, code: null } },
  { name: 'NUL inside the token (refused by Node)', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt().slice(0, 30)}\u0000${k.jwt().slice(30)}`)] }), expect: { status: 400, code: null } },
  { name: 'DEL inside the token', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt().slice(0, 30)}\u007f${k.jwt().slice(30)}`)] }), expect: { status: 400, code: null } },
  { name: 'bare CR inside the header (refused by Node)', request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt().slice(0, 30)}\r${k.jwt().slice(30)}`)] }), expect: { status: 400, code: null } },
  {
    name: 'obsolete line folding of the header (refused by Node)',
    request: (k) => ({ raw: [line(`Authorization: Bearer ${k.jwt()}`), line(`  ${k.jwt({ memberId: BOB, organizationId: BETA })}`)] }),
    expect: { status: 400, code: null },
  },
];

/** Every token-like piece (20+ base64url characters) of what a case sends. */
export function secretsOf(request: CorpusRequest): string[] {
  const text = [
    ...Object.values(request.headers ?? {}).flat(),
    ...(request.raw ?? []).map((b) => b.toString('latin1')),
  ].join(' ');
  return [...new Set(text.match(/[A-Za-z0-9_.-]{20,}/g) ?? [])].filter((s) => !/^(a+|b+)$/.test(s));
}
