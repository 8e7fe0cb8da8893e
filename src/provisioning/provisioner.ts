/**
 * The integration point between provisioning and the context builder. The builder calls
 * `afterLookup` with what round trip 1 found, on every directory load (a cache miss: the
 * first request of each directory TTL), and uses the entry it returns:
 *
 * - user found through an active membership → unchanged; `users.last_login_at` is refreshed
 *   in the background (at most once per `lastLoginTtlSec` per member, conditional in the
 *   database as well, so several processes do not all write);
 * - no user for the organization (none, or only the legacy `stytch_member_id` fallback) →
 *   `provisionMember`, then the lookup is run again so the context is built from what the
 *   database now holds (one extra round trip, on the member's first request only);
 * - provisioning skipped (unknown organization without `createOrganizations`, inactive
 *   membership…) → unchanged.
 *
 * Database errors of provisioning propagate: the builder answers them like any directory
 * failure (503 `context_unavailable`, or the `degrade` mode).
 */
import { COLLECTIONS } from '../data-model/collections.js';
import { LRUCache } from 'lru-cache';
import { ObjectId } from 'mongodb';
import type { Logger } from 'pino';
import type { Identity } from '../auth-context.js';
import type { DirectoryEntry } from '../context/directory-lookup.js';
import type { DbSource } from '../context/mongo-connection.js';
import { PendingWork } from '../context/pending-work.js';
import { provisionResolved, type ProvisionResult } from './provision-member.js';
import { hasUniqueIndex, MEMBERSHIP_UNIQUE_INDEX, ORGANIZATION_UNIQUE_INDEX } from './provisioning-indexes.js';
import type { ResolvedProvisioningOptions } from './provisioning-options.js';
import { logText } from '../log-messages.js';

const HEX24 = /^[0-9a-fA-F]{24}$/;
const SEP = '\u0000';

export class Provisioner {
  private readonly recentLogins: LRUCache<string, true> | null;
  private readonly pending: PendingWork;
  private indexCheck: Promise<void> | null = null;

  /** `work`: where the background writes are tracked (the `Auth`'s, so `close()` waits for them). */
  constructor(
    private readonly dbs: DbSource,
    readonly options: ResolvedProvisioningOptions,
    private readonly logger: Logger,
    cacheMax = 10_000,
    work: PendingWork | null = null,
  ) {
    this.pending = work ?? new PendingWork();
    this.recentLogins =
      options.lastLoginTtlSec > 0 ? new LRUCache<string, true>({ max: cacheMax, ttl: options.lastLoginTtlSec * 1000 }) : null;
  }

  /** What the builder should use instead of `entry`. `relookup` re-runs round trip 1. */
  async afterLookup(identity: Identity, entry: DirectoryEntry, relookup: () => Promise<DirectoryEntry>, log: Logger = this.logger): Promise<DirectoryEntry> {
    const { organization, user } = entry;
    if (organization && user && user.via === 'membership') {
      this.touchLastLogin(identity, user.hex);
      return entry;
    }
    if (!organization && !this.options.createOrganizations) {
      if (user) this.touchLastLogin(identity, user.hex);
      return entry;
    }
    this.checkIndexesOnce();
    const result = await this.provision(identity, log);
    if (result.status === 'skipped') {
      if (user) this.touchLastLogin(identity, user.hex);
      return entry;
    }
    // provisionMember set last_login_at just now.
    if (result.userId !== null) this.recentLogins?.set(loginKey(identity, result.userId), true);
    return relookup();
  }

  async provision(identity: Identity, log: Logger = this.logger): Promise<ProvisionResult> {
    return provisionResolved(await this.dbs.db(), identity, this.options, log);
  }

  /**
   * Sets `users.last_login_at` in the background unless it was set less than
   * `lastLoginTtlSec` ago (by this process, or — conditional update — by any other).
   * Never fails a request: an error is logged at WARN.
   */
  touchLastLogin(identity: Pick<Identity, 'memberId' | 'stytchOrgId'>, userHex: string): void {
    if (!HEX24.test(userHex)) return;
    const key = loginKey(identity, userHex);
    if (this.recentLogins?.has(key)) return;
    this.recentLogins?.set(key, true);
    const now = new Date();
    const cutoff = new Date(now.getTime() - this.options.lastLoginTtlSec * 1000);
    const task = this.dbs
      .db()
      .then((db) =>
        db.collection(COLLECTIONS.users).updateOne(
          {
            _id: ObjectId.createFromHexString(userHex),
            $or: [{ last_login_at: { $not: { $type: 'date' } } }, { last_login_at: { $lte: cutoff } }],
          },
          { $set: { last_login_at: now } },
        ),
      )
      .then(
        () => undefined,
        (error: unknown) => {
          this.recentLogins?.delete(key);
          this.logger.warn(
            { stytchMemberId: identity.memberId, stytchOrgId: identity.stytchOrgId, userId: userHex, err: describe(error) },
            logText('provisioningLastLoginFailed', userHex),
          );
        },
      );
    this.pending.track(task);
  }

  /** Resolves when every background `last_login_at` write and the index check have settled (tests, shutdown). */
  idle(): Promise<void> {
    return this.pending.idle();
  }

  private checkIndexesOnce(): void {
    if (!this.options.checkIndexes || this.indexCheck) return;
    const wanted = this.options.createOrganizations ? [MEMBERSHIP_UNIQUE_INDEX, ORGANIZATION_UNIQUE_INDEX] : [MEMBERSHIP_UNIQUE_INDEX];
    this.indexCheck = (async () => {
      const db = await this.dbs.db();
      for (const index of wanted) {
        if (!(await hasUniqueIndex(db, index))) {
          this.logger.error(
            { collection: index.collection, index: index.name, keys: index.keys },
            logText('provisioningIndexMissing', index.name, index.collection),
          );
        }
      }
    })().catch((error: unknown) => {
      this.logger.warn({ err: describe(error) }, logText('provisioningIndexCheckFailed'));
    });
    // Tracked like the writes: `idle()` and `close()` wait for it, so it never queries a closed client.
    this.pending.track(this.indexCheck);
  }
}

function loginKey(identity: Pick<Identity, 'memberId' | 'stytchOrgId'>, userHex: string): string {
  return `${identity.stytchOrgId}${SEP}${identity.memberId}${SEP}${userHex.toLowerCase()}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
