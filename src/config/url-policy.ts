/**
 * Stytch URLs (`stytch.baseUrl`, `jwks.url`) must be https: the API secret travels in the
 * Authorization header of every remote check, and the JWKS decides which signatures are
 * trusted. Plain http is allowed only to a loopback host (local fakes and tests).
 */
const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return host === 'localhost' || host === '[::1]' || LOOPBACK_V4.test(host);
}

/** Why `url` is refused, or null when it is acceptable. Never repeats the URL (it may hold credentials). */
export function urlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be an absolute https URL';
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:') {
    return isLoopbackHost(parsed.hostname)
      ? null
      : 'must use https: over plain http the Stytch secret and the signing keys would travel in clear (http is allowed only for localhost, 127.0.0.0/8 and [::1])';
  }
  return 'must be an https URL';
}
