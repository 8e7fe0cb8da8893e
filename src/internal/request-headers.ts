import type { RequestHeaders } from '../auth-types.js';

const AUTHORIZATION = 'authorization';

function isAuthorization(name: string | undefined): boolean {
  if (name === undefined || name.length !== 13) return false;
  // The two usual spellings without allocating; any other casing is still caught.
  return name === AUTHORIZATION || name === 'Authorization' || name.toLowerCase() === AUTHORIZATION;
}

/**
 * The request headers as the core should see them. Node keeps only the first of several
 * `Authorization` headers in its parsed headers; when the raw headers hold more than one, the
 * core gets them all (and answers `token_multiple`), so a second token can never slip past.
 * Otherwise the parsed headers as they are, so a middleware that rewrote
 * `headers.authorization` is respected. No allocation on the common path.
 */
export function authenticationHeaders(headers: RequestHeaders, rawHeaders: readonly string[] | undefined): RequestHeaders {
  let count = 0;
  if (Array.isArray(rawHeaders)) {
    for (let i = 0; i < rawHeaders.length; i += 2) if (isAuthorization(rawHeaders[i])) count++;
  }
  if (count < 2 || rawHeaders === undefined) return headers;
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (isAuthorization(rawHeaders[i])) values.push(rawHeaders[i + 1] ?? '');
  return { ...headers, authorization: values };
}
