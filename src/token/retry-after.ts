/**
 * How long to leave Stytch alone after a 429, from its `Retry-After` header (RFC 9110 §10.2.3:
 * delay-seconds or an HTTP-date). What we honour is capped, so that a misbehaving or hostile
 * answer (or a proxy in Stytch's place) cannot switch remote checks off for hours; a missing or
 * unreadable value gets a short default, since a 429 without advice still means "slow down".
 */
export const DEFAULT_RETRY_AFTER_MS = 5_000;
export const MAX_RETRY_AFTER_MS = 60_000;

const DELAY_SECONDS = /^\d{1,10}$/;
// The three HTTP-date forms all start with a day name. `Date.parse` alone is far too lenient
// (V8 reads "-5" or "1.5" as dates), so a value must look like an HTTP-date first.
const HTTP_DATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]{0,6},? /;

export function retryAfterMs(header: string | null, nowMs: number = Date.now()): number {
  const value = header?.trim() ?? '';
  if (value === '') return DEFAULT_RETRY_AFTER_MS;
  let ms: number;
  if (DELAY_SECONDS.test(value)) {
    ms = Number(value) * 1000;
  } else {
    const at = HTTP_DATE.test(value) ? Date.parse(value) : Number.NaN;
    if (Number.isNaN(at)) return DEFAULT_RETRY_AFTER_MS;
    ms = at - nowMs;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
