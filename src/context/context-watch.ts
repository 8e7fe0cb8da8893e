import { EventEmitter } from 'node:events';
import type { ChangeStream, ChangeStreamDocument, Document, ResumeToken } from 'mongodb';
import type { Logger } from 'pino';
import { COLLECTIONS } from '../data-model/collections.js';
import { idHex } from './object-ids.js';
import type { DbSource } from './mongo-connection.js';
import { logText } from '../log-messages.js';

/**
 * What one change means for the context caches. Cache keys are (stytch org id, stytch member
 * id); a change names documents by `_id`, so an eviction says what it knows and the builder
 * evicts every entry that matches *or that it cannot rule out* (an entry whose directory half
 * is not cached, or a load in flight): a stale entry is never kept.
 */
export type Eviction =
  /** Directory, team and requested-team entries of this user / member (any field may be missing). */
  | { readonly kind: 'user'; readonly userHex: string | null; readonly memberId: string | null; readonly teamsOnly: boolean }
  /** Directory (and with it team) entries of this organization. */
  | { readonly kind: 'organization'; readonly orgHex: string | null; readonly stytchOrgId: string | null }
  /** Every team and requested-team entry: a team's name or organization changed, or a membership we cannot map. */
  | { readonly kind: 'teams' }
  /** Everything: a change we cannot map, a dropped collection or database, lost history. */
  | { readonly kind: 'all' };

/** What the watch needs from the context builder. */
export interface WatchTarget {
  evict(eviction: Eviction): void;
  /**
   * `true`: the stream is open, the team may be cached. `false`: it is not (yet, or any
   * more): the team is read fresh again and what the stream guarded is dropped.
   */
  guard(open: boolean): void;
}

const { organizations, users, orgMemberships, teams, teamMemberships } = COLLECTIONS;
const WATCHED = [organizations, users, orgMemberships, teams, teamMemberships];

/**
 * The events the context depends on, filtered on the server: a user's profile edits do not
 * change a context, a team switch does; drops and invalidations always pass (without them the
 * library would only see the cursor end).
 */
export const CONTEXT_WATCH_PIPELINE: Document[] = [
  {
    $match: {
      $or: [
        { 'ns.coll': { $in: WATCHED.filter((c) => c !== users) } },
        { 'ns.coll': users, operationType: { $ne: 'update' } },
        { 'ns.coll': users, 'updateDescription.updatedFields.current_team_id': { $exists: true } },
        { operationType: { $in: ['drop', 'dropDatabase', 'invalidate', 'rename'] } },
      ],
    },
  },
];

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Fields of a membership row whose change moves it to another user, member or organization. */
const MEMBERSHIP_KEYS = ['user_id', 'stytch_member_id', 'organization_id', 'team_id'];

/** Maps one change event to the evictions it needs (pure: tested on its own). */
export function evictionsFor(change: ChangeStreamDocument): Eviction[] {
  if (change.operationType === 'invalidate' || !('ns' in change)) return [{ kind: 'all' }];
  const coll = (change.ns as { coll?: string }).coll;
  if (change.operationType !== 'insert' && change.operationType !== 'update' && change.operationType !== 'replace' && change.operationType !== 'delete') {
    return [{ kind: 'all' }]; // drop, rename, dropDatabase, anything newer
  }
  const id = idHex((change.documentKey as { _id?: unknown })._id);
  const doc = 'fullDocument' in change ? (change.fullDocument as Document | null | undefined) : undefined;
  // An update that rewrites a row's keys: the lookup shows the new keys only, the old are lost.
  const rekeyed =
    change.operationType === 'update' &&
    Object.keys(change.updateDescription.updatedFields ?? {}).some((f) => MEMBERSHIP_KEYS.includes(f.split('.')[0] ?? ''));
  const removedKeys = change.operationType === 'update' && (change.updateDescription.removedFields ?? []).some((f) => MEMBERSHIP_KEYS.includes(f));
  switch (coll) {
    case users: {
      if (id === null) return [{ kind: 'all' }];
      const teamsOnly = change.operationType === 'update';
      return [{ kind: 'user', userHex: id, memberId: str(doc?.['stytch_member_id']), teamsOnly }];
    }
    case organizations:
      if (id === null) return [{ kind: 'all' }];
      return [{ kind: 'organization', orgHex: id, stytchOrgId: str(doc?.['stytch_org_id']) }];
    case orgMemberships:
      if (!doc || rekeyed || removedKeys) return [{ kind: 'all' }];
      return [{ kind: 'user', userHex: idHex(doc['user_id']), memberId: str(doc['stytch_member_id']), teamsOnly: false }];
    case teamMemberships:
      if (!doc || rekeyed || removedKeys) return [{ kind: 'teams' }];
      return [{ kind: 'user', userHex: idHex(doc['user_id']), memberId: null, teamsOnly: true }];
    case teams:
      return [{ kind: 'teams' }];
    default:
      return [];
  }
}

export interface ContextWatchOptions {
  /** How long the server holds an idle `getMore`; an idle stream still answers (a heartbeat) this often. */
  maxAwaitTimeMS?: number;
  /** No answer at all for this long: the stream is treated as down until the next one. Default 3 × maxAwaitTimeMS. */
  silenceMs?: number;
  /** Wait before reopening after an error. */
  retryMs?: number;
  /** Replaces the `retryMs` timer (tests hold the stream down with it); close() does not wait for it. */
  beforeReopen?: () => Promise<void>;
}

/** Codes meaning "this server has no change streams": a standalone mongod. */
const NO_CHANGE_STREAMS = new Set([40573]);
/** The resume point is gone (history rolled over) or belongs to no stream of this server. */
const TOKEN_LOST = new Set([286, 280]);

export interface ContextWatchEvents {
  /** The stream answered for the first time since it was (re)opened: the team is cached again. */
  open: [];
  /** The stream errored, closed, or fell silent: fresh reads until `open`. */
  down: [reason: string];
  /** One change applied to the caches. */
  applied: [evictions: readonly Eviction[], collection: string | null];
  /** The server has no change streams: the watch stopped for good (one WARN was logged). */
  unsupported: [];
}

/**
 * One database-level change stream per `Auth` over the collections the context reads. It
 * evicts on every change and tells the builder when the team may be cached (`guard`). It
 * reopens by itself: from its resume token after an error (nothing is lost), from scratch with
 * every cache cleared when the token is lost or the stream invalidated.
 */
export class ContextWatch extends EventEmitter<ContextWatchEvents> {
  private stream: ChangeStream | null = null;
  private token: ResumeToken | undefined;
  private open = false;
  private closed = false;
  private stopped = false;
  private silence: NodeJS.Timeout | null = null;
  private retry: { timer: NodeJS.Timeout | null; wake: () => void } | null = null;
  private running: Promise<void> | null = null;
  private readonly maxAwaitTimeMS: number;
  private readonly silenceMs: number;
  private readonly retryMs: number;
  private readonly beforeReopen: (() => Promise<void>) | undefined;

  constructor(
    private readonly dbs: DbSource,
    private readonly target: WatchTarget,
    private readonly logger: Logger,
    options: ContextWatchOptions = {},
  ) {
    super();
    this.maxAwaitTimeMS = options.maxAwaitTimeMS ?? 1_000;
    this.silenceMs = options.silenceMs ?? 3 * this.maxAwaitTimeMS;
    this.retryMs = options.retryMs ?? 1_000;
    this.beforeReopen = options.beforeReopen;
  }

  /** True while events are known to arrive: the team may be cached. */
  get isOpen(): boolean {
    return this.open;
  }

  start(): void {
    // loop() handles its errors; a bug there must not become an unhandled rejection.
    this.running ??= this.loop().catch((error: unknown) => {
      this.logger.error({ err: describe(error) }, logText('watchStopped'));
      this.setOpen(false, 'stopped');
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.clearSilence();
    if (this.retry) {
      if (this.retry.timer) clearTimeout(this.retry.timer);
      this.retry.wake();
    }
    await this.stream?.close().catch(() => undefined);
    await this.running;
    this.setOpen(false, 'closed');
  }

  private async loop(): Promise<void> {
    while (!this.closed && !this.stopped) {
      const reason = await this.runOnce();
      if (this.closed || this.stopped) break;
      this.setOpen(false, reason);
      await this.pause(this.retryMs);
    }
  }

  /** Opens one stream and answers when it ends, with why. */
  private async runOnce(): Promise<string> {
    let stream: ChangeStream;
    try {
      const db = await this.dbs.db();
      // A tokenless (re)start sees nothing that happened before it: nothing cached before may be kept.
      if (this.token === undefined) this.target.evict({ kind: 'all' });
      stream = db.watch(CONTEXT_WATCH_PIPELINE, {
        fullDocument: 'updateLookup',
        maxAwaitTimeMS: this.maxAwaitTimeMS,
        ...(this.token === undefined ? {} : { resumeAfter: this.token }),
      });
    } catch (error) {
      return `cannot open: ${describe(error)}`;
    }
    this.stream = stream;
    return new Promise<string>((resolve) => {
      let ended = false;
      const end = (reason: string) => {
        if (ended) return;
        ended = true;
        stream.removeAllListeners();
        stream.on('error', () => undefined); // a late error of a stream being closed is not news
        this.stream = null;
        void stream.close().catch(() => undefined);
        resolve(reason);
      };
      stream.on('resumeTokenChanged', (token) => {
        this.token = token;
        this.heard();
      });
      stream.on('change', (change) => {
        // resumeTokenChanged follows; the event's own _id is its resume point.
        this.token = change._id;
        const evictions = evictionsFor(change);
        for (const e of evictions) this.target.evict(e);
        this.emit('applied', evictions, 'ns' in change ? ((change.ns as { coll?: string }).coll ?? null) : null);
        if (change.operationType === 'invalidate') {
          // The stream ends here; a fresh one (no token) starts after the caches were cleared.
          this.token = undefined;
          end('invalidated');
        } else {
          this.heard();
        }
      });
      stream.on('error', (error: Error & { code?: number }) => {
        const code = error.code;
        if (code !== undefined && NO_CHANGE_STREAMS.has(code)) {
          this.stopped = true;
          this.logger.warn({ code }, logText('watchUnsupported'));
          this.emit('unsupported');
          end('unsupported');
          return;
        }
        if (code !== undefined && TOKEN_LOST.has(code)) {
          this.logger.warn({ code }, logText('watchResumeLost'));
          this.token = undefined;
          this.target.evict({ kind: 'all' });
        } else {
          this.logger.warn({ err: describe(error) }, logText('watchStreamError'));
        }
        end(`error: ${describe(error)}`);
      });
      // The driver emits 'close' before the 'error' that closed it: let the error speak first.
      stream.on('close', () => setImmediate(() => end('closed')));
    });
  }

  /** The stream answered (an event or a heartbeat): open, and watched for silence. */
  private heard(): void {
    if (this.closed) return;
    this.setOpen(true, '');
    this.clearSilence();
    this.silence = setTimeout(() => {
      this.silence = null;
      this.setOpen(false, 'silent');
    }, this.silenceMs);
    this.silence.unref();
  }

  private setOpen(open: boolean, reason: string): void {
    if (this.open === open) return;
    this.open = open;
    if (!open) this.clearSilence();
    this.target.guard(open);
    if (open) {
      this.logger.debug('context.watch: change stream open; the team is cached');
      this.emit('open');
    } else {
      this.logger.debug({ reason }, 'context.watch: change stream down; the team is read fresh');
      this.emit('down', reason);
    }
  }

  private clearSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = null;
  }

  /** Waits before a reopen; close() ends the wait at once. */
  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.retry = null;
        resolve();
      };
      if (this.beforeReopen) {
        this.retry = { timer: null, wake: done };
        this.beforeReopen().then(done, done);
        return;
      }
      const timer = setTimeout(done, ms);
      timer.unref();
      this.retry = { timer, wake: done };
    });
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code === undefined ? '' : ` ${String(code)}`}: ${error.message}`;
  }
  return String(error);
}
