import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Identity } from '../auth-context.js';

/**
 * Verified identities by token hash (never the token itself), each living no longer than the
 * token or session it came from. Bounded by count, so a flood of distinct tokens evicts
 * rather than grows.
 *
 * The key is the SHA-256 of the whole token, so a hit needs every byte to match the token that
 * was verified. Hashing is the dominant cost of a warm request, and no cheaper key is safe: a
 * signature segment alone can be replayed under a different header or payload, and a fast or
 * keyed non-cryptographic hash is forgeable. The one-shot `crypto.hash` is used instead of a
 * `Hash` object, which saves the object's allocation and the streaming calls.
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

export class VerifiedTokenCache {
  private readonly lru: LRUCache<string, VerifiedTokenEntry> | null;

  constructor(max: number) {
    this.lru = max > 0 ? new LRUCache<string, VerifiedTokenEntry>({ max, ttlAutopurge: false, allowStale: false }) : null;
  }

  static keyOf(token: string): string {
    return hash('sha256', token, 'base64url');
  }

  get(key: string): VerifiedTokenEntry | undefined {
    return this.lru?.get(key);
  }

  /** `expiresAtMs` is absolute; an entry already past it is not stored. */
  set(key: string, entry: VerifiedTokenEntry, expiresAtMs: number): void {
    const ttl = Math.floor(expiresAtMs - Date.now());
    if (this.lru && ttl > 0) this.lru.set(key, entry, { ttl });
  }

  delete(key: string): void {
    this.lru?.delete(key);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
