import { describe, expect, it } from 'vitest';
import { thrownAuthError } from '../support/errors.js';
import {
  chooseTokenSource,
  MAX_COOKIE_HEADER_LENGTH,
  readSessionCookie,
  resolveTokenSourceOptions,
  STYTCH_SESSION_COOKIES,
  tokenFromRequest,
  type TokenSource,
} from '../../src/token/token-source.js';
import { csrfError } from '../../src/token/csrf.js';
import { hasScopes, memberRequiredError, requireMember, scopeError } from '../../src/scope-check.js';
import { m2mContext, memberContext } from '../../src/auth-context-union.js';
import { EMPTY_DIRECTORY_CONTEXT } from '../../src/auth-context.js';

/** Shaped like a JWT, never verified here: these tests are about where a token is read. */
const JWT_A = `eyJhbGciOiJSUzI1NiJ9.${'a'.repeat(40)}.${'s'.repeat(40)}`;
const JWT_B = `eyJhbGciOiJSUzI1NiJ9.${'b'.repeat(40)}.${'s'.repeat(40)}`;
const OPAQUE = 'Q'.repeat(44);

describe('choosing the token source', () => {
  it('the header wins whenever present and enabled, whatever the order of tokenFrom', () => {
    const table: [boolean, boolean, TokenSource[], TokenSource | null][] = [
      [true, true, ['header', 'cookie'], 'header'],
      [true, true, ['cookie', 'header'], 'header'],
      [true, false, ['header', 'cookie'], 'header'],
      [false, true, ['header', 'cookie'], 'cookie'],
      [false, false, ['header', 'cookie'], null],
      [true, true, ['cookie'], 'cookie'],
      [false, true, ['header'], null],
      [true, false, ['cookie'], null],
    ];
    for (const [header, cookie, tokenFrom, expected] of table) {
      expect(chooseTokenSource({ header, cookie }, tokenFrom), `${header}/${cookie}/${tokenFrom.join(',')}`).toBe(expected);
    }
  });

  it('reads a request: header over cookie, the JWT cookie over the opaque one, token_missing without either', () => {
    const both = resolveTokenSourceOptions({ tokenFrom: ['header', 'cookie'] });
    const cookieHeader = `theme=dark; stytch_session=${OPAQUE}; stytch_session_jwt=${JWT_B}`;
    expect(tokenFromRequest({ authorization: `Bearer ${JWT_A}`, cookie: cookieHeader }, both)).toEqual({ token: JWT_A, source: 'header', cookie: null });
    expect(tokenFromRequest({ cookie: cookieHeader }, both)).toEqual({ token: JWT_B, source: 'cookie', cookie: 'jwt' });
    expect(tokenFromRequest({ cookie: `stytch_session=${OPAQUE}` }, both)).toEqual({ token: OPAQUE, source: 'cookie', cookie: 'opaque' });
    // An empty Authorization header is no credential: the cookie is read.
    expect(tokenFromRequest({ authorization: '  ', cookie: cookieHeader }, both).source).toBe('cookie');
    // A present but bad header is not passed over for the cookie: the header's own refusal.
    expect(thrownAuthError(() => tokenFromRequest({ authorization: 'Basic abc', cookie: cookieHeader }, both)).code).toBe('scheme_invalid');
    // With the header chosen, hostile cookies are never parsed.
    expect(tokenFromRequest({ authorization: `Bearer ${JWT_A}`, cookie: 'x'.repeat(MAX_COOKIE_HEADER_LENGTH + 1) }, both).token).toBe(JWT_A);
    expect(thrownAuthError(() => tokenFromRequest({ cookie: 'theme=dark' }, both)).code).toBe('token_missing');
    expect(thrownAuthError(() => tokenFromRequest({}, both)).code).toBe('token_missing');
  });

  it('reads nothing but the header unless cookies are opted in (the default)', () => {
    const defaults = resolveTokenSourceOptions();
    expect(defaults).toMatchObject({ tokenFrom: ['header'], cookies: STYTCH_SESSION_COOKIES, accept: ['session'] });
    const err = thrownAuthError(() => tokenFromRequest({ cookie: `stytch_session_jwt=${JWT_A}` }, defaults));
    expect([err.code, err.reason]).toEqual(['token_missing', 'no Authorization header']);
  });

  it('reads renamed cookies only under their configured names', () => {
    const renamed = resolveTokenSourceOptions({ tokenFrom: ['cookie'], cookies: { jwt: 'app_jwt', opaque: 'app_session' } });
    expect(tokenFromRequest({ cookie: `stytch_session_jwt=${JWT_B}; app_jwt=${JWT_A}` }, renamed).token).toBe(JWT_A);
    expect(thrownAuthError(() => tokenFromRequest({ cookie: `stytch_session_jwt=${JWT_B}` }, renamed)).code).toBe('token_missing');
  });

  it('validates the options: cookie names, origins, repeats', () => {
    const bad: unknown[] = [
      { tokenFrom: [] },
      { tokenFrom: ['header', 'header'] },
      { tokenFrom: ['query'] },
      { cookies: { jwt: 'bad name' } },
      { cookies: { jwt: 'same', opaque: 'same' } },
      { csrf: { allowedOrigins: ['https://app.example.com/'] } },
      { csrf: { allowedOrigins: ['https://App.example.com'] } },
      { csrf: { allowedOrigins: ['*'] } },
      { csrf: { allowedOrigins: ['ftp://files.example.com'] } },
      { accept: ['session', 'session'] },
      { accept: [] },
      { cookie: {} },
    ];
    for (const options of bad) expect(() => resolveTokenSourceOptions(options as never), JSON.stringify(options)).toThrow();
    expect(resolveTokenSourceOptions({ csrf: { allowedOrigins: ['https://app.example.com', 'http://localhost:5173'] } }).allowedOrigins).toEqual(
      new Set(['https://app.example.com', 'http://localhost:5173']),
    );
  });
});

describe('the session cookie reader on hostile Cookie headers', () => {
  const names = STYTCH_SESSION_COOKIES;

  it('refuses, with fixed codes, what it cannot trust', () => {
    const corpus: [string, string | string[], string][] = [
      ['oversized header', `a=${'x'.repeat(MAX_COOKIE_HEADER_LENGTH)}; stytch_session_jwt=${JWT_A}`, 'token_malformed'],
      ['JWT cookie twice (cookie tossing)', `stytch_session_jwt=${JWT_A}; stytch_session_jwt=${JWT_B}`, 'token_multiple'],
      ['JWT cookie twice, spaced differently', `stytch_session_jwt=${JWT_A};stytch_session_jwt =${JWT_B}`, 'token_multiple'],
      ['opaque cookie twice', `stytch_session=${OPAQUE}; stytch_session=${OPAQUE}`, 'token_multiple'],
      ['twice across two Cookie headers', [`stytch_session_jwt=${JWT_A}`, `stytch_session_jwt=${JWT_B}`], 'token_multiple'],
      ['duplicate, the second one empty', `stytch_session_jwt=${JWT_A}; stytch_session_jwt=`, 'token_multiple'],
      ['too short', 'stytch_session_jwt=abc', 'token_malformed'],
      ['too long', `stytch_session_jwt=${'a'.repeat(20_000)}`, 'token_malformed'],
      ['space inside', `stytch_session_jwt="${JWT_A} ${JWT_B}"`, 'token_malformed'],
      ['control character, percent-encoded', `stytch_session_jwt=${JWT_A}%0A`, 'token_malformed'],
      ['non-ASCII', `stytch_session_jwt=${JWT_A}é`, 'token_malformed'],
      ['comma list', `stytch_session_jwt=${JWT_A},${JWT_B}`, 'token_malformed'],
      ['bad percent-encoding kept raw', `stytch_session_jwt=${JWT_A}%zz`, 'token_malformed'],
    ];
    for (const [what, header, code] of corpus) {
      const err = thrownAuthError(() => readSessionCookie(header, names));
      expect(err.code, what).toBe(code);
      expect(err.status, what).toBe(401);
      // The reason says which cookie or what limit, never the value.
      expect(err.reason ?? '', what).not.toContain(JWT_A.slice(-20));
    }
  });

  it('finds no credential in headers without a usable session cookie', () => {
    const corpus: (string | string[] | undefined)[] = [
      undefined,
      '',
      ';;;',
      '=',
      'stytch_session_jwt',
      'stytch_session_jwt=',
      'stytch_session_jwt=""',
      'stytch_session_jwt=; stytch_session=',
      '__proto__=x; constructor=y; toString=z',
      'not_stytch_session_jwt=' + JWT_A,
      'stytch_session_jwt_old=' + JWT_A,
      [],
    ];
    for (const header of corpus) expect(readSessionCookie(header, names), JSON.stringify(header)).toBeNull();
  });

  it('reads the values the cookie parser normalises: quotes, spaces, percent-encoding, other cookies', () => {
    const corpus: [string, string][] = [
      [`stytch_session_jwt="${JWT_A}"`, JWT_A],
      [`  stytch_session_jwt =  ${JWT_A}  ;theme=dark`, JWT_A],
      [`stytch_session_jwt=${JWT_A.replace('.', '%2E')}`, JWT_A],
      [`a=1; b="x;y"; stytch_session_jwt=${JWT_A}`, JWT_A],
      [`__proto__=${JWT_B}; stytch_session_jwt=${JWT_A}`, JWT_A],
      [`stytch_session_jwt=; stytch_session=${OPAQUE}`, OPAQUE],
    ];
    for (const [header, token] of corpus) expect(readSessionCookie(header, names)?.token, header).toBe(token);
  });
});

describe('the CSRF decision', () => {
  const allowed = new Set(['https://app.example.com']);
  const decide = (method: string, headers: Record<string, string | string[]>, source: TokenSource = 'cookie') =>
    csrfError({ method, headers }, source, allowed)?.code ?? 'allowed';

  it('passes safe methods and header tokens, checks every unsafe cookie request, fails closed', () => {
    const table: [string, Record<string, string | string[]>, TokenSource, string][] = [
      ['GET', {}, 'cookie', 'allowed'],
      ['HEAD', { origin: 'https://evil.example' }, 'cookie', 'allowed'],
      ['OPTIONS', {}, 'cookie', 'allowed'],
      ['POST', {}, 'header', 'allowed'],
      ['DELETE', { origin: 'https://evil.example' }, 'header', 'allowed'],
      ['POST', { 'sec-fetch-site': 'same-origin' }, 'cookie', 'allowed'],
      ['POST', { origin: 'https://app.example.com' }, 'cookie', 'allowed'],
      ['PUT', { origin: 'https://app.example.com', 'sec-fetch-site': 'same-site' }, 'cookie', 'allowed'],
      ['PATCH', { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' }, 'cookie', 'allowed'],
      ['POST', {}, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'https://evil.example' }, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'null' }, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'https://app.example.com.evil.example' }, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'https://APP.example.com' }, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'https://app.example.com:443' }, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'http://app.example.com' }, 'cookie', 'csrf_failed'],
      ['POST', { origin: ['https://app.example.com', 'https://evil.example'] }, 'cookie', 'csrf_failed'],
      ['POST', { origin: 'https://app.example.com, https://evil.example' }, 'cookie', 'csrf_failed'],
      ['POST', { 'sec-fetch-site': 'same-site' }, 'cookie', 'csrf_failed'],
      ['POST', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, 'cookie', 'csrf_failed'],
      ['POST', { 'sec-fetch-site': 'none' }, 'cookie', 'csrf_failed'],
      ['POST', { 'sec-fetch-site': ['same-origin', 'same-origin'] }, 'cookie', 'csrf_failed'],
      ['get', {}, 'cookie', 'csrf_failed'],
      ['PROPFIND', {}, 'cookie', 'csrf_failed'],
    ];
    for (const [method, headers, source, expected] of table) {
      expect(decide(method, headers, source), `${method} ${source} ${JSON.stringify(headers)}`).toBe(expected);
    }
  });

  it('answers 403 csrf_failed, and its reason never quotes the request', () => {
    const err = csrfError({ method: 'POST', headers: { origin: 'https://evil.example' } }, 'cookie', allowed);
    expect(err?.status).toBe(403);
    expect(err?.body).toEqual({ error: 'csrf_failed', message: expect.any(String) });
    expect(err?.reason).not.toContain('evil');
  });
});

describe('scopes and the member-only rule', () => {
  const machine = (scopes: string[]) =>
    m2mContext({ clientId: 'm2m-client-test-1', scopes, customClaims: {}, tokenId: null, tokenIssuedAt: null, tokenExpiresAt: new Date() });
  const member = memberContext({
    memberId: 'member-test-1', sessionId: null, stytchOrgId: 'organization-test-1', orgSlug: null, memberEmail: null, memberName: null,
    roles: ['admin'], authenticationFactors: [], authenticationFactorTimes: [], sessionStartedAt: null, sessionExpiresAt: null, sessionLastAccessedAt: null,
    customClaims: {}, authenticatedAt: new Date(), ...EMPTY_DIRECTORY_CONTEXT,
  });

  it("matches scopes with Stytch's semantics: exact, or action:* for any resource of the action", () => {
    const table: [string[], string[], boolean][] = [
      [['read:users'], ['read:users'], true],
      [['read:users', 'write:users'], ['read:users', 'write:users'], true],
      [['read:*'], ['read:users'], true],
      [['read:users'], ['read:*'], false],
      [['read:users'], ['write:users'], false],
      [['read:users'], ['read:users', 'write:users'], false],
      [['admin'], ['admin'], true],
      [['admin'], ['admin:users'], false],
      [['admin:*'], ['admin'], true],
      [['read:users:all'], ['read:users'], false],
      [['read:users'], ['read:users:all'], false],
      [[], ['read:users'], false],
      [[], [], true],
    ];
    for (const [granted, required, ok] of table) expect(hasScopes(granted, required), `${granted} ⊇ ${required}`).toBe(ok);
  });

  it('403 scope_missing for a machine without the scope, and for any member', () => {
    expect(scopeError(machine(['read:users']), ['read:users'])).toBeNull();
    const missing = scopeError(machine(['read:users']), ['write:users']);
    expect([missing?.status, missing?.code, missing?.body.required_scopes]).toEqual([403, 'scope_missing', ['write:users']]);
    expect(missing?.headers['WWW-Authenticate']).toContain('error="insufficient_scope"');
    expect(scopeError(member, ['read:users'])?.code).toBe('scope_missing');
  });

  it('403 member_required for a machine on a session-only check', () => {
    expect(memberRequiredError(member)).toBeNull();
    expect(memberRequiredError(machine(['admin:*']))?.code).toBe('member_required');
    expect(memberRequiredError(machine(['admin:*']))?.status).toBe(403);
    expect(requireMember(member).memberId).toBe('member-test-1');
    expect(thrownAuthError(() => requireMember(machine([]))).code).toBe('member_required');
  });
});
