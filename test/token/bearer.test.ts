import { describe, expect, it } from 'vitest';
import { AuthError, extractBearerToken, parseBearerHeader } from 'ayz-auth';
import { thrownAuthError } from '../support/errors.js';

const TOKEN = 'valid_token_12345678901234567890';

const codeOf = (fn: () => unknown): string => thrownAuthError(fn).code;

describe('parseBearerHeader', () => {
  it.each([
    [`Bearer ${TOKEN}`],
    [`bearer ${TOKEN}`],
    [`BEARER ${TOKEN}`],
    [`  Bearer   ${TOKEN}  `],
    [`Bearer\t${TOKEN}`],
  ])('accepts %j', (header) => {
    expect(parseBearerHeader(header)).toBe(TOKEN);
  });

  it('accepts a token as long as a 16 KB header can carry (large Stytch session JWTs exceed 8 KB)', () => {
    const token = `${'a'.repeat(9_000)}.${'b'.repeat(7_000)}.${'c'.repeat(16_384 - 7 - 16_002)}`;
    expect(token.length).toBe(16_377);
    expect(parseBearerHeader(`Bearer ${token}`)).toBe(token);
    expect(codeOf(() => parseBearerHeader(`Bearer ${token}c`))).toBe('token_malformed');
  });

  it('accepts the token charset of the Python library (underscore, hyphen, dot)', () => {
    expect(parseBearerHeader('Bearer valid_token-123.456_789012345')).toBe('valid_token-123.456_789012345');
  });

  it.each([
    [undefined, 'token_missing'],
    ['', 'token_missing'],
    ['   ', 'token_missing'],
    [[], 'token_missing'],
    [`Basic dXNlcjpwYXNz`, 'scheme_invalid'],
    ['Invalid header format', 'scheme_invalid'],
    [`Token ${TOKEN}`, 'scheme_invalid'],
    [`Bearer${TOKEN}`, 'scheme_invalid'],
    ['Bearer', 'token_empty'],
    ['Bearer    ', 'token_empty'],
    [`Bearer ${TOKEN} ${TOKEN}`, 'token_multiple'],
    [`Bearer ${TOKEN}, Bearer ${TOKEN}`, 'token_multiple'],
    [[`Bearer ${TOKEN}`, `Bearer ${TOKEN}`], 'token_multiple'],
    ['Bearer short', 'token_malformed'],
    ['Bearer token@with#special$chars', 'token_malformed'],
    ['Bearer token\nwith\nnewlines_long_enough', 'token_malformed'],
    [`Bearer ${'é'.repeat(30)}`, 'token_malformed'],
    [`Bearer ${'a'.repeat(16_378)}`, 'token_malformed'],
    [`Bearer ${'a'.repeat(20_000)}`, 'token_malformed'],
  ] as const)('refuses %j with %s', (header, code) => {
    expect(codeOf(() => parseBearerHeader(header as string | readonly string[] | undefined))).toBe(code);
  });

  it('gives every 401 an RFC 6750 WWW-Authenticate header without echoing the input', () => {
    const hostile = `Bearer ${'"\\'.repeat(20)}`;
    try {
      parseBearerHeader(hostile);
      expect.unreachable();
    } catch (error) {
      const e = error as AuthError;
      expect(e.status).toBe(401);
      expect(e.headers['WWW-Authenticate']).toBe(
        'Bearer realm="ayz-auth", error="invalid_token", error_description="The bearer token is malformed"',
      );
      expect(JSON.stringify(e.body)).not.toContain('\\\\');
    }
    const missing = (() => {
      try {
        parseBearerHeader(undefined);
      } catch (error) {
        return error as AuthError;
      }
      return null;
    })();
    // No credentials at all: RFC 6750 §3.1 says no error attribute.
    expect(missing?.headers['WWW-Authenticate']).toBe('Bearer realm="ayz-auth"');
  });
});

describe('extractBearerToken', () => {
  it('reads the authorization header whatever its case', () => {
    expect(extractBearerToken({ authorization: `Bearer ${TOKEN}` })).toBe(TOKEN);
    expect(extractBearerToken({ Authorization: `Bearer ${TOKEN}` })).toBe(TOKEN);
  });
  it('reports a request without the header as token_missing', () => {
    expect(codeOf(() => extractBearerToken({ host: 'x' }))).toBe('token_missing');
  });
});
