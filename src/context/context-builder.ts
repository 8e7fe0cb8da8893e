import type { Logger } from 'pino';
import { EMPTY_DIRECTORY_CONTEXT, type DirectoryContext, type Identity } from '../auth-context.js';
import type { ResolvedOptions } from '../config/resolve-options.js';
import { AuthError } from '../errors.js';
import { Provisioner } from '../provisioning/provisioner.js';
import type { ResolvedProvisioningOptions } from '../provisioning/provisioning-options.js';
import { lookupDirectory, type DirectoryEntry } from './directory-lookup.js';
import type { DbSource } from './mongo-connection.js';
import type { PendingWork } from './pending-work.js';
import { SharedLoadCache } from './shared-load-cache.js';
import { NO_TEAM, validateCurrentTeam, type TeamChoice } from './team-resolution.js';
import { logText } from '../log-messages.js';
import { TEAM_FORBIDDEN, validateRequestedTeam, type RequestedTeamVerdict } from './requested-team.js';
import { STORED_TEAM, type TeamSelection } from './team-selection.js';
import type { Eviction, WatchTarget } from './context-watch.js';

type ContextSettings = ResolvedOptions['context'];

const SEP = '\u0000';
const keyOf = (stytchOrgId: string, memberId: string) => `${stytchOrgId}${SEP}${memberId}`;

// The key of a verified identity (frozen by the verifier), made once per identity: a string
// made per request would be hashed per request by every cache it is looked up in, a runtime
// call in V8 that cost more than the rest of a warm context build (about 300 ns a request,
// measured with many callers, where the per-millisecond context memo does not answer).
const identityKeys = new WeakMap<Identity, string>();
function identityKey(identity: Identity): string {
  let key = identityKeys.get(identity);
  if (key === undefined) identityKeys.set(identity, (key = keyOf(identity.stytchOrgId, identity.memberId)));
  return key;
}

// The directory half of a context depends only on the (immutable, cached) directory entry and
// team choice, so it is built once per entry/team and shared; it is never handed out as is
// (the auth context copies its fields into a new frozen object), and it is frozen besides.
const bases = new WeakMap<DirectoryEntry, DirectoryContext>();
const withTeams = new WeakMap<DirectoryEntry, { team: TeamChoice; context: DirectoryContext }>();

function baseContext(entry: DirectoryEntry): DirectoryContext {
  let base = bases.get(entry);
  if (base === undefined) {
    const { organization, user } = entry;
    base = Object.freeze({
      mongoUserId: user?.hex ?? null,
      orgId: organization?.hex ?? null,
      currentTeamId: null,
      currentTeamName: null,
      entitlements: organization?.entitlements ?? null,
      subscriptionTier: organization?.subscriptionTier ?? null,
      subscriptionLimits: organization?.subscriptionLimits ?? null,
    });
    bases.set(entry, base);
  }
  return base;
}

function withTeam(entry: DirectoryEntry, base: DirectoryContext, team: TeamChoice): DirectoryContext {
  if (team === NO_TEAM) return base;
  const memo = withTeams.get(entry);
  if (memo !== undefined && memo.team === team) return memo.context;
  const context = Object.freeze({ ...base, currentTeamId: team.currentTeamId, currentTeamName: team.currentTeamName });
  withTeams.set(entry, { team, context });
  return context;
}

/**
 * The MongoDB half of the context: organization and user (round trip 1, cached for a short
 * TTL), then the validated team (round trip 2, fresh on every request unless `cacheTeam`).
 */
export class ContextBuilder implements WatchTarget {
  private readonly directory: SharedLoadCache<DirectoryEntry>;
  private readonly teams: SharedLoadCache<TeamChoice>;
  /** Teams named by requests (`context.team`), keyed by (org, member, team), for the directory's TTL. */
  private readonly requestedTeams: SharedLoadCache<RequestedTeamVerdict>;
  /** Opt-in provisioning; null (the default) keeps the builder read-only apart from the team write-back. */
  readonly provisioner: Provisioner | null;
  /** context.watch: true while the change stream is open, and the team is cached like the directory. */
  private watched = false;

  /**
   * `dbs` hands out the database per operation (a client that failed its first connect is
   * replaced, see `MongoConnection`); `work` tracks provisioning's background writes.
   */
  constructor(
    private readonly dbs: DbSource,
    private readonly settings: ContextSettings,
    private readonly logger: Logger,
    provisioning: ResolvedProvisioningOptions | null = null,
    work: PendingWork | null = null,
  ) {
    this.provisioner = provisioning ? new Provisioner(dbs, provisioning, logger, settings.directoryMax, work) : null;
    this.directory = new SharedLoadCache(settings.directoryMax, settings.directoryTtlSec);
    // With context.watch the team cache keeps entries (for the directory's TTL) but is used only while the stream is open.
    const teamTtlSec = settings.watch ? settings.directoryTtlSec : settings.cacheTeam ? settings.teamTtlSec : 0;
    this.teams = new SharedLoadCache(settings.directoryMax, teamTtlSec);
    this.requestedTeams = new SharedLoadCache(settings.directoryMax, settings.directoryTtlSec);
  }

  /**
   * The context when every part of it is cached (directory, and the team when it is needed),
   * synchronously and without touching the database; undefined when `build` must run. It
   * answers exactly what `build` would answer from the same cache entries.
   */
  cached(identity: Identity, selection: TeamSelection = STORED_TEAM): DirectoryContext | undefined {
    const key = identityKey(identity);
    const entry = this.directory.peek(key);
    if (entry === undefined) return undefined;
    const base = baseContext(entry);
    // --- per-request team selection (context.team): refusals are left to `build`.
    if (selection.kind === 'invalid') return undefined;
    if (selection.kind === 'header') {
      if (!entry.organization || !entry.user) return undefined;
      const verdict = this.requestedTeams.peek(`${key}${SEP}${selection.teamHex}`);
      return verdict === undefined || verdict === TEAM_FORBIDDEN ? undefined : withTeam(entry, base, verdict as TeamChoice);
    }
    if (selection.kind === 'none') return base;
    // --- end of per-request team selection
    if (!entry.organization || !entry.user) return base;
    const team = this.teamCached() ? this.teams.peek(key) : undefined;
    if (team === undefined) return undefined;
    return withTeam(entry, base, team);
  }

  /** Round trip 1; with provisioning on, a member without a user for the org is provisioned first. */
  private async loadDirectory(identity: Identity, log: Logger): Promise<DirectoryEntry> {
    const db = await this.dbs.db();
    const lookup = () => lookupDirectory(db, identity.memberId, identity.stytchOrgId, log);
    const found = await lookup();
    return this.provisioner ? this.provisioner.afterLookup(identity, found, lookup, log) : found;
  }

  /**
   * `log`: the logger of the request being authenticated (its lines carry the request id). A
   * load shared by concurrent requests logs with the first one's.
   */
  async build(identity: Identity, selection: TeamSelection = STORED_TEAM, log: Logger = this.logger): Promise<DirectoryContext> {
    const { memberId, stytchOrgId } = identity;
    const key = identityKey(identity);
    if (selection.kind === 'invalid') throw new AuthError('team_header_invalid', { reason: selection.reason });
    let entry: DirectoryEntry;
    try {
      entry = await this.directory.get(key, () => this.loadDirectory(identity, log));
    } catch (error) {
      return this.unavailable(error, identity, EMPTY_DIRECTORY_CONTEXT, log);
    }

    const { organization, user } = entry;
    const base = baseContext(entry);
    if (selection.kind === 'header') return this.requestedTeam(identity, entry, base, selection.teamHex, log);
    // Without the organization no team can be proven to belong to it; without a user there is none.
    if (!organization || !user || selection.kind === 'none') return base;

    let team: TeamChoice;
    try {
      team = await this.teams.get(key, async () =>
        validateCurrentTeam({
          db: await this.dbs.db(),
          stytchMemberId: memberId,
          stytchOrgId,
          organization,
          user,
          writeBack: this.settings.writeBackTeam,
          requireTeamMembership: this.settings.requireTeamMembership,
          logger: log,
        }),
        this.settings.watch && !this.watched ? { fresh: !this.settings.cacheTeam, ttlSec: this.settings.teamTtlSec } : {},
      );
    } catch (error) {
      return this.unavailable(error, identity, base, log);
    }
    return withTeam(entry, base, team);
  }

  /**
   * The team a request names (`context.team`): round trip 2's variant, cached per team with
   * the directory. A team that cannot be proven to be the caller's is a 403, never a context
   * without a team: the caller asked for that team.
   */
  private async requestedTeam(identity: Identity, entry: DirectoryEntry, base: DirectoryContext, teamHex: string, log: Logger): Promise<DirectoryContext> {
    const { organization, user } = entry;
    if (!organization || !user) {
      log.warn(
        { stytchMemberId: identity.memberId, stytchOrgId: identity.stytchOrgId, teamId: teamHex },
        logText('requestedTeamUnchecked', teamHex),
      );
      throw new AuthError('team_forbidden');
    }
    let verdict: RequestedTeamVerdict;
    try {
      verdict = await this.requestedTeams.get(`${identityKey(identity)}${SEP}${teamHex}`, async () =>
        validateRequestedTeam({
          db: await this.dbs.db(),
          stytchMemberId: identity.memberId,
          stytchOrgId: identity.stytchOrgId,
          organization,
          user,
          teamHex,
          logger: log,
        }),
      );
    } catch (error) {
      return this.unavailable(error, identity, base, log);
    }
    if (verdict === TEAM_FORBIDDEN) throw new AuthError('team_forbidden');
    return withTeam(entry, base, verdict as TeamChoice);
  }

  invalidate(target: { stytchOrgId?: string; memberId?: string }): void {
    const { stytchOrgId, memberId } = target;
    if (stytchOrgId === undefined && memberId === undefined) return;
    const match = (key: string) => {
      const [org, member] = key.split(SEP);
      return (stytchOrgId === undefined || org === stytchOrgId) && (memberId === undefined || member === memberId);
    };
    this.directory.deleteWhere(match);
    this.teams.deleteWhere(match);
    this.requestedTeams.deleteWhere(match);
  }

  /**
   * Changes whenever `cached` could answer otherwise for some member (the directory, team and
   * requested-team caches changed, or context.watch opened or closed: that clears the teams).
   */
  get generation(): number {
    return this.directory.generation + this.teams.generation + this.requestedTeams.generation;
  }

  /** Whether a cached team may answer: `cacheTeam`, or context.watch with its stream open. */
  private teamCached(): boolean {
    return this.settings.watch ? this.watched || this.settings.cacheTeam : this.settings.cacheTeam;
  }

  /** context.watch: the stream opened or went down; either way the team entries cached so far are dropped. */
  guard(open: boolean): void {
    this.watched = open;
    this.teams.deleteWhere(() => true);
  }

  /**
   * context.watch: evicts what a change may have made stale. An entry whose directory half is
   * not cached (expired, or a load in flight) cannot be ruled out, so it is evicted too.
   */
  evict(eviction: Eviction): void {
    const all = () => true;
    if (eviction.kind === 'all') {
      for (const cache of [this.directory, this.teams, this.requestedTeams]) cache.deleteWhere(all);
      return;
    }
    if (eviction.kind === 'teams') {
      this.teams.deleteWhere(all);
      this.requestedTeams.deleteWhere(all);
      return;
    }
    const affected = (key: string): boolean => {
      const [org, member] = key.split(SEP);
      const entry = this.directory.peek(keyOf(org ?? '', member ?? ''));
      if (entry === undefined) return true;
      if (eviction.kind === 'organization') {
        return entry.organization === null || entry.organization.hex === eviction.orgHex || org === eviction.stytchOrgId;
      }
      return entry.user === null || entry.user.hex === eviction.userHex || member === eviction.memberId;
    };
    // Team entries are matched through their directory entry: the directory goes last.
    this.teams.deleteWhere(affected);
    this.requestedTeams.deleteWhere(affected);
    if (!(eviction.kind === 'user' && eviction.teamsOnly)) this.directory.deleteWhere(affected);
  }

  /**
   * MongoDB failed. By default that is a 503: a context built without the directory could
   * grant less (or, through a stale cache, other) than the truth. `degrade` restores the
   * Python behaviour — what is known, nulls for the rest — and says so at WARN.
   */
  private unavailable(error: unknown, identity: Identity, known: DirectoryContext, log: Logger): DirectoryContext {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const fields = { stytchMemberId: identity.memberId, stytchOrgId: identity.stytchOrgId, err: reason };
    if (this.settings.onUnavailable === 'degrade') {
      log.warn(fields, logText('contextDegraded', reason));
      return { ...known, currentTeamId: null, currentTeamName: null };
    }
    log.error(fields, logText('contextUnavailable', reason));
    throw new AuthError('context_unavailable', { cause: error });
  }
}
