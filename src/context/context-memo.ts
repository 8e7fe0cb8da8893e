import type { DirectoryContext, Identity } from '../auth-context.js';

interface Memo<R> {
  directory: DirectoryContext;
  atMs: number;
  result: R;
}

/**
 * The warm answer of one verified token, made at most once per millisecond. A warm request
 * builds nothing when the same token came in the same millisecond with the same cached
 * directory: it gets the very same frozen context (`authenticatedAt` is that millisecond, as a
 * fresh build would have it), and the marks a context carries (RBAC store, wiring) are set once
 * per build, not once per request. Keyed by the token cache's identity object, so an evicted
 * token or a changed directory (invalidation, a team switch, an event of context.watch) is a
 * new build, never a stale answer.
 */
export class ContextMemo<R> {
  readonly #byIdentity = new WeakMap<Identity, Memo<R>>();

  result(identity: Identity, directory: DirectoryContext, build: (authenticatedAt: Date) => R): R {
    const now = Date.now();
    const memo = this.#byIdentity.get(identity);
    if (memo !== undefined && memo.atMs === now && memo.directory === directory) return memo.result;
    const result = build(new Date(now));
    if (memo === undefined) this.#byIdentity.set(identity, { directory, atMs: now, result });
    else {
      // Updated in place: one WeakMap entry per token, written once.
      memo.directory = directory;
      memo.atMs = now;
      memo.result = result;
    }
    return result;
  }
}
