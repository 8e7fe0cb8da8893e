/**
 * Step-up by factor age: `requireFactors(['totp'], { within: '10m' })` lets a request through
 * only when each listed factor was authenticated (Stytch's `last_authenticated_at` of the
 * session's factor) within the window; else 403 `factor_stale` naming each stale factor and its
 * age, so the client knows to ask for that factor again.
 */
import type { AuthContext } from '../auth-context.js';
import { AuthError, type AuthErrorDetailObject } from '../errors.js';

/** Options of `requireFactors` / `createFactorCheck` / `factorError`. */
export interface FactorGuardOptions {
  /**
   * Each factor must have been authenticated at most this long ago: `'30s'`, `'10m'`, `'1h'`,
   * or a number of seconds. Without it, having used the factor in the session is enough.
   */
  within?: string | number;
}

const UNIT_SEC = { s: 1, m: 60, h: 3600 } as const;
// Only what the option documents: a hand-written pattern rather than a duration library
// (`ms` and the like also accept "1.5 days", "2y", "-1h"), so a typo stops the service at start-up.
const WINDOW = /^([1-9]\d{0,8})([smh])$/;

/** The window in seconds; a TypeError (when the route is defined) for anything else. */
export function parseFactorWindow(what: string, within: unknown): number {
  if (typeof within === 'number' && Number.isFinite(within) && within > 0) return within;
  const match = typeof within === 'string' ? WINDOW.exec(within) : null;
  if (match === null) {
    throw new TypeError(`ayz-auth: ${what} expects \`within\` as '30s', '10m', '1h' or a positive number of seconds`);
  }
  return Number(match[1]) * UNIT_SEC[match[2] as keyof typeof UNIT_SEC];
}

/** When each factor type was last authenticated (the latest of its entries), null when never said. */
function lastAuthenticated(ctx: AuthContext, type: string): number | null {
  let latest: number | null = null;
  for (const factor of ctx.authenticationFactorTimes) {
    if (factor.type !== type || factor.lastAuthenticatedAt === null) continue;
    const at = factor.lastAuthenticatedAt.getTime();
    if (latest === null || at > latest) latest = at;
  }
  return latest;
}

/**
 * 403 `factor_stale` unless every factor type in `types` was authenticated within `withinSec`
 * of `nowMs`. A factor whose time Stytch did not give counts as stale (`age_sec: null`): a
 * step-up guard never lets an unknown age through. A time in the future (clock skew) is age 0.
 * Presence is `factorError`'s job: call it first.
 */
export function factorAgeError(ctx: AuthContext, types: readonly string[], withinSec: number, nowMs: number = Date.now()): AuthError | null {
  let stale: AuthErrorDetailObject[] | null = null;
  for (const type of types) {
    const at = lastAuthenticated(ctx, type);
    const ageSec = at === null ? null : Math.max(0, Math.floor((nowMs - at) / 1000));
    if (ageSec !== null && ageSec <= withinSec) continue;
    (stale ??= []).push(Object.freeze({ type, age_sec: ageSec }));
  }
  if (stale === null) return null;
  return new AuthError('factor_stale', {
    details: { required_factors: [...types], max_age_sec: withinSec, stale_factors: stale },
    maxAgeSec: withinSec,
  });
}
