/**
 * Forged tokens for the soak's "someone else's payload" case: the header and signature of
 * one genuine token around the payload of another. Forged only when the two payloads
 * differ: with the same token twice (or two tokens with the same payload) the splice is a
 * genuine token, and a 200 for it would be counted as a wrong answer, turning the soak's
 * "wrong answers must be 0" into noise. With different payloads the splice is no genuine
 * token: RS256 signatures are deterministic, so a signature valid for the donor's payload
 * would mean two payloads with one signature.
 */

/** The three segments of a compact JWS, or an Error (the soak only splices tokens it issued). */
function segments(token: string): [string, string, string] {
  const parts = token.split('.');
  if (parts.length !== 3 || parts.some((p) => p === '')) throw new Error('forge: not a compact JWS');
  return parts as [string, string, string];
}

/**
 * `signed`'s header and signature around `payloadFrom`'s payload. Throws when the payloads
 * are equal, and (a construction check) when the result equals either source.
 */
export function swapPayload(signed: string, payloadFrom: string): string {
  const [header, ownPayload, signature] = segments(signed);
  const [, payload] = segments(payloadFrom);
  if (payload === ownPayload) throw new Error('forge: both tokens carry the same payload; the splice would be genuine');
  const forged = `${header}.${payload}.${signature}`;
  if (forged === signed || forged === payloadFrom) throw new Error('forge: the splice equals a genuine token');
  return forged;
}

/**
 * Two different elements of `list` (by index), or null when it has fewer than two; `random`
 * in [0, 1) as Math.random.
 */
export function pickDistinct<T>(list: readonly T[], random: () => number = Math.random): [T, T] | null {
  if (list.length < 2) return null;
  const i = Math.floor(random() * list.length);
  // Any of the other n-1 indexes, uniformly: draw in [0, n-1) and skip i.
  let j = Math.floor(random() * (list.length - 1));
  if (j >= i) j++;
  return [list[i]!, list[j]!];
}
