import type { DirectoryContext, Identity } from '../auth-context.js';
import type { TeamSelection } from './team-selection.js';

interface Memo<R> {
  atMs: number;
  /** What the answer was built from: the cached directory, the team selection, the cache generation. */
  directory: DirectoryContext;
  selection: TeamSelection;
  generation: number;
  result: R;
}

/**
 * The warm answer of one verified token, made at most once per millisecond. A warm request
 * builds nothing when the same token came in the same millisecond: it gets the very same
 * frozen context (`authenticatedAt` is that millisecond, as a fresh build would have it), and
 * the marks a context carries (RBAC store, wiring) are set once per build, not once per
 * request. Keyed by the token cache's identity object, so an evicted or forgotten token is
 * never answered from here.
 *
 * `peek` spares even the directory and team lookups, but only while nothing they could answer
 * has changed: same millisecond, same team selection (the stored team, or none: a team named
 * by a header is a per-request selection and never matches), and the same generation of the
 * context caches (any store, deletion, eviction, invalidation or context.watch event changes
 * it). Otherwise the caller looks them up and `result` rebuilds when the directory differs.
 */
export class ContextMemo<R> {
  readonly #byIdentity = new WeakMap<Identity, Memo<R>>();

  peek(identity: Identity, selection: TeamSelection, generation: number): R | undefined {
    const memo = this.#byIdentity.get(identity);
    if (memo === undefined || memo.atMs !== Date.now() || memo.selection !== selection || memo.generation !== generation) return undefined;
    return memo.result;
  }

  result(identity: Identity, directory: DirectoryContext, selection: TeamSelection, generation: number, build: (authenticatedAt: Date) => R): R {
    const now = Date.now();
    const memo = this.#byIdentity.get(identity);
    if (memo !== undefined && memo.atMs === now && memo.directory === directory) {
      memo.selection = selection;
      memo.generation = generation;
      return memo.result;
    }
    const result = build(new Date(now));
    if (memo === undefined) this.#byIdentity.set(identity, { atMs: now, directory, selection, generation, result });
    else {
      // Updated in place: one WeakMap entry per token, written once.
      memo.atMs = now;
      memo.directory = directory;
      memo.selection = selection;
      memo.generation = generation;
      memo.result = result;
    }
    return result;
  }
}
