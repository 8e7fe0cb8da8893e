/**
 * Step-up by factor age in the core: the window's syntax (checked when the route is defined, in
 * both adapters too), the decision on a context's factor times, and those times as the core
 * reads them from a real session JWT of the testing kit.
 */
import { describe, expect, it } from 'vitest';
import { AuthError, createAuth, createFactorCheck, factorError, type AuthenticationFactorTime } from 'ayz-auth';
import * as expressAdapter from 'ayz-auth/express';
import * as fastifyAdapter from 'ayz-auth/fastify';
import { createTestIssuer } from 'ayz-auth/testing';
import { factorAgeError, parseFactorWindow } from '../../src/checks/factor-age.js';
import { contextOf } from '../tenancy/context-of.js';

// The decisions below pass NOW; `factorError` and `createFactorCheck` read the real clock, a moment later.
const NOW = Date.now();
const factor = (type: string, agoSec: number | null): AuthenticationFactorTime => ({
  type,
  deliveryMethod: null,
  lastAuthenticatedAt: agoSec === null ? null : new Date(NOW - agoSec * 1000),
});
const ctxWith = (...times: AuthenticationFactorTime[]) =>
  contextOf({ authenticationFactors: times.map((t) => t.type), authenticationFactorTimes: times });

describe('the window', () => {
  it.each([
    ['30s', 30],
    ['10m', 600],
    ['1h', 3600],
    [90, 90],
    [0.5, 0.5],
  ])('%s is %s seconds', (within, sec) => {
    expect(parseFactorWindow('requireFactors', within)).toBe(sec);
  });

  it.each([['10'], ['10 minutes'], ['1d'], ['-1h'], ['0m'], ['1.5h'], [' 10m'], [''], [0], [-5], [Number.NaN], [Infinity], [null], [{}]])(
    'refuses %j when the route is defined, in the core and both adapters',
    (within) => {
      const message = /expects `within` as '30s', '10m', '1h' or a positive number of seconds/;
      expect(() => createFactorCheck(['totp'], { within: within as string })).toThrow(TypeError);
      expect(() => expressAdapter.requireFactors(['totp'], { within: within as string })).toThrow(message);
      expect(() => fastifyAdapter.requireFactors(['totp'], { within: within as string })).toThrow(message);
    },
  );

  it('refuses a misspelt option rather than silently dropping the step-up', () => {
    const bad = { whithin: '10m' } as unknown as { within: string };
    expect(() => expressAdapter.requireFactors(['totp'], bad)).toThrow("ayz-auth: requireFactors expects its options as { within: '10m' }");
    expect(() => fastifyAdapter.requireFactors(['totp'], '10m' as unknown as { within: string })).toThrow(TypeError);
  });

  it('requirePermission checks its arguments when the route is defined', () => {
    expect(() => expressAdapter.requirePermission('', 'read')).toThrow('ayz-auth: requirePermission expects the resource as a non-empty string');
    expect(() => fastifyAdapter.requirePermission('documents', undefined as unknown as string)).toThrow(
      'ayz-auth: requirePermission expects the action as a non-empty string',
    );
  });
});

describe('the decision', () => {
  it('passes factors within the window (the bound included) and names each stale one with its age', () => {
    expect(factorAgeError(ctxWith(factor('totp', 600)), ['totp'], 600, NOW)).toBeNull();
    const error = factorAgeError(ctxWith(factor('totp', 601), factor('sms_otp', 30), factor('magic_link', 7200)), ['totp', 'sms_otp', 'magic_link'], 600, NOW);
    expect(error).toBeInstanceOf(AuthError);
    expect({ status: error?.status, body: error?.body }).toEqual({
      status: 403,
      body: {
        error: 'factor_stale',
        message: 'A required authentication factor must be verified again',
        required_factors: ['totp', 'sms_otp', 'magic_link'],
        max_age_sec: 600,
        stale_factors: [
          { type: 'totp', age_sec: 601 },
          { type: 'magic_link', age_sec: 7200 },
        ],
      },
    });
    expect(error?.headers['WWW-Authenticate']).toBe(
      'Bearer realm="ayz-auth", error="insufficient_user_authentication", error_description="A required authentication factor must be verified again", max_age="600"',
    );
  });

  it('takes the latest of several entries of one type; an unknown time is stale; a future time (clock skew) is age 0', () => {
    expect(factorAgeError(ctxWith(factor('otp', 5000), factor('otp', 10)), ['otp'], 60, NOW)).toBeNull();
    expect(factorAgeError(ctxWith(factor('totp', null)), ['totp'], 60, NOW)?.body.stale_factors).toEqual([{ type: 'totp', age_sec: null }]);
    expect(factorAgeError(ctxWith(factor('totp', -120)), ['totp'], 60, NOW)).toBeNull();
  });

  it('factorError: a factor never used is factor_missing first; with `within`, an old one is factor_stale', () => {
    const ctx = ctxWith(factor('totp', 3600));
    expect(factorError(ctx, ['totp'])).toBeNull();
    expect(factorError(ctx, ['totp', 'sso'], { within: '2h' })?.code).toBe('factor_missing');
    expect(factorError(ctx, ['totp'], { within: '2h' })).toBeNull();
    expect(factorError(ctx, ['totp'], { within: '10m' })?.code).toBe('factor_stale');
    expect(createFactorCheck(['totp'], { within: '10m' })(ctx)?.code).toBe('factor_stale');
    expect(createFactorCheck(['totp'])(ctx)).toBeNull();
  });
});

describe('the factor times on the context', () => {
  it("come from the session's authentication_factors: type, delivery method, last_authenticated_at", async () => {
    const issuer = await createTestIssuer();
    const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });
    try {
      // Whole seconds, as Stytch writes them.
      const started = new Date(Math.floor(NOW / 1000) * 1000 - 3_600_000);
      const totpAt = new Date(started.getTime() + 3_000_000);
      const ctx = await auth.authenticate(
        issuer.sessionJwt({ authenticationFactors: ['magic_link', 'totp'], sessionStartedAt: started, factorAuthenticatedAt: { totp: totpAt } }),
      );
      expect(ctx.authenticationFactors).toEqual(['magic_link', 'totp']);
      expect(ctx.authenticationFactorTimes).toEqual([
        { type: 'magic_link', deliveryMethod: 'email', lastAuthenticatedAt: started },
        { type: 'totp', deliveryMethod: 'authenticator_app', lastAuthenticatedAt: totpAt },
      ]);
      expect(Object.isFrozen(ctx.authenticationFactorTimes[0])).toBe(true);
    } finally {
      await auth.close();
      await issuer.close();
    }
  });
});
