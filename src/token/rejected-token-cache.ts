import { LRUCache } from 'lru-cache';
import type { AuthErrorCode } from '../errors.js';

/**
 * Tokens Stytch rejected, by the SHA-256 of the whole token (never
 * the token), for `remote.negativeCacheTtlSec`: the same bad token sent again costs no call.
 * Kept apart from the verified cache so that a flood of junk evicts junk, never a good session.
 * Only Stytch's verdicts land here; a transient failure says nothing about the token.
 */
export interface RejectedTokenEntry {
  /** The code the first rejection answered, which every remembered one answers too. */
  readonly code: Extract<AuthErrorCode, 'session_invalid' | 'token_expired'>;
  /** The first rejection's reason, for the operator's log line. */
  readonly reason: string;
}

/** Junk tokens remembered at most; beyond, the oldest are forgotten (and cost a call again). */
export const REJECTED_TOKENS_MAX = 10_000;

export class RejectedTokenCache {
  private readonly lru: LRUCache<string, RejectedTokenEntry> | null;

  constructor(ttlSec: number, max: number = REJECTED_TOKENS_MAX) {
    const ttl = Math.floor(ttlSec * 1000);
    this.lru = ttl > 0 ? new LRUCache<string, RejectedTokenEntry>({ max, ttl, ttlAutopurge: false, allowStale: false }) : null;
  }

  get(key: string): RejectedTokenEntry | undefined {
    return this.lru?.get(key);
  }

  set(key: string, entry: RejectedTokenEntry): void {
    this.lru?.set(key, entry);
  }

  delete(key: string): void {
    this.lru?.delete(key);
  }

  get size(): number {
    return this.lru?.size ?? 0;
  }
}
