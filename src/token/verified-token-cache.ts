import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Identity } from '../auth-context.js';

/**
 * Verified identities, each living no longer than the token or session it came from. Bounded
 * by count, so a flood of distinct tokens evicts rather than grows.
 *
 * A hit needs every byte of the token to match the token that was verified, and the cache can
 * never give the token back. A token is its signed part (header and payload of a JWT, up to
 * and including the last dot; nothing for an opaque token) followed by its secret part (the
 * signature; the whole of an opaque token). The key is the SHA-256 of the secret part, and the
 * entry keeps the signed part, which a hit must equal. Both parts match exactly when the whole
 * token does, and what the cache holds cannot be turned back into a credential: the signed
 * part is what any holder of the token reads in clear (and the identity repeats it), the
 * signature is there only as its hash. Hashing the signature alone costs about a third of
 * hashing the whole JWT, the dominant cost of a warm request; the string comparison is a
 * fraction of either, and it runs only once the signature's hash has matched, so its timing
 * tells nothing to someone who does not hold the signature already.
 *
 * Not safe, and not done: keying by the signature without the signed part (an altered payload
 * under a known signature would hit), a fast or keyed non-cryptographic hash (forgeable), or the
 * raw token (recoverable from a heap dump).
 */
export interface VerifiedTokenEntry {
  readonly identity: Identity;
  /**
   * The token has the shape of a token taken from an `Authorization` header (it may not: the
   * direct `authenticate(token)` takes any string). Only such entries answer the header
   * shortcut, which skips the character checks.
   */
  readonly bearerShaped: boolean;
}

interface StoredEntry extends VerifiedTokenEntry {
  /** The token up to and including its last dot; '' when it has none. */
  readonly signedPart: string;
}

const DOT = 0x2e;

export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, StoredEntry> | null;
  /** How many characters follow the last dot of the last token stored with one (a JWT: its signature); `get` splits there first. */
  private secretLength = 0;

  constructor(max: number) {
    this.lru = max > 0 ? new LRUCache<string, StoredEntry>({ max, ttlAutopurge: false, allowStale: false }) : null;
  }

  /**
   * The key of a token's entry: the SHA-256 of what follows its last dot (of all of it, without
   * one), as its 32 bytes in a latin1 string (`'binary'`, Node's other name for latin1):
   * shorter than base64url to make, to hash for the `Map` and to compare (about 60 ns of a warm
   * request).
   */
  static keyOf(token: string): string {
    return hash('sha256', token.slice(token.lastIndexOf('.') + 1), 'binary');
  }

  get(token: string): VerifiedTokenEntry | undefined {
    if (this.lru === null) return undefined;
    // Most tokens of a project have signatures of one length (the signing key's), so the split
    // is first tried where the last stored token's was, which saves a scan for the last dot (a
    // runtime call in V8, as much work as the rest of a hit). Safe wherever the guess falls: a
    // hit needs the signed part to equal the entry's and the rest to hash to its key, so the
    // token equals the verified one whatever the split.
    const guess = token.length - this.secretLength;
    if (this.secretLength > 0 && guess > 0 && token.charCodeAt(guess - 1) === DOT) {
      const entry = this.lookup(token, guess);
      if (entry !== undefined) return entry;
      const end = token.lastIndexOf('.') + 1;
      return end === guess ? undefined : this.lookup(token, end);
    }
    return this.lookup(token, token.lastIndexOf('.') + 1);
  }

  private lookup(token: string, end: number): StoredEntry | undefined {
    const entry = this.lru!.get(hash('sha256', token.slice(end), 'binary'));
    // The length first: most tokens that share no signed part differ in length.
    return entry !== undefined && entry.signedPart.length === end && entry.signedPart === token.slice(0, end) ? entry : undefined;
  }

  /** `expiresAtMs` is absolute; an entry already past it is not stored. */
  set(token: string, entry: VerifiedTokenEntry, expiresAtMs: number): void {
    const ttl = Math.floor(expiresAtMs - Date.now());
    if (this.lru === null || ttl <= 0) return;
    const end = token.lastIndexOf('.') + 1;
    if (end > 0) this.secretLength = token.length - end;
    // A flat copy, not a slice that would keep the whole token (signature included) alive.
    const signedPart = end === 0 ? '' : Buffer.from(token.slice(0, end), 'latin1').toString('latin1');
    this.lru.set(VerifiedTokenCache.keyOf(token), { identity: entry.identity, bearerShaped: entry.bearerShaped, signedPart }, { ttl });
  }

  /** Forgets the token's entry; an entry of another token is kept. */
  delete(token: string): void {
    if (this.get(token) !== undefined) this.lru?.delete(VerifiedTokenCache.keyOf(token));
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
