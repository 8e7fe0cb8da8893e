import { LRUCache } from 'lru-cache';

type Load<V> = () => Promise<V>;

/**
 * A small TTL cache whose concurrent misses share one load: `lru-cache`'s `fetch()`, with the
 * load of each call passed as the fetch context.
 *
 * - A load overtaken by an invalidation is still answered but not kept: `delete` aborts the
 *   fetch in flight, and `ignoreFetchAbort` lets it finish for its waiters without storing it.
 * - A failed load is never kept (lru-cache deletes a rejected fetch) and every waiter sees it.
 * - `ttlSec: 0` keeps nothing: every fetch is forced to load (`forceRefresh`), yet a fetch
 *   already in flight for the key is still shared, and `peek` never answers.
 */
export class SharedLoadCache<V extends object> {
  private readonly lru: LRUCache<string, V, Load<V>>;
  private readonly keeps: boolean;
  /**
   * Keys whose load is in flight, with how many loads: lru-cache's iterators skip entries still
   * being fetched, and an invalidation by organization or by member must reach those too.
   */
  private readonly loading = new Map<string, number>();
  #generation = 0;

  constructor(max: number, ttlSec: number) {
    this.keeps = ttlSec > 0;
    this.lru = new LRUCache<string, V, Load<V>>({
      max,
      ...(this.keeps ? { ttl: ttlSec * 1000 } : {}),
      ignoreFetchAbort: true,
      // Whatever leaves the cache (deleted, evicted, expired, replaced) changes the generation.
      dispose: () => {
        this.#generation++;
      },
      fetchMethod: async (key, _stale, { context }) => {
        this.loading.set(key, (this.loading.get(key) ?? 0) + 1);
        try {
          const value = await context();
          // About to be stored (in the microtask that follows, before any other request runs).
          this.#generation++;
          return value;
        } finally {
          const left = (this.loading.get(key) ?? 1) - 1;
          if (left === 0) this.loading.delete(key);
          else this.loading.set(key, left);
        }
      },
    });
  }

  /**
   * `fresh` forces a load (and what it loads is kept only for `ttlSec`, by default the cache's):
   * a cache that keeps can be told per call to behave like one that does not.
   */
  async get(key: string, load: Load<V>, per: { fresh?: boolean; ttlSec?: number } = {}): Promise<V> {
    const value = await this.lru.fetch(key, {
      context: load,
      forceRefresh: per.fresh ?? !this.keeps,
      ...(per.ttlSec !== undefined && per.ttlSec > 0 ? { ttl: per.ttlSec * 1000 } : {}),
    });
    // fetch() answers undefined only when the load does, and a load always answers a V.
    return value as V;
  }

  /** The cached value, synchronously; undefined on a miss (a load in flight is not waited for). */
  peek(key: string): V | undefined {
    return this.keeps ? this.lru.get(key) : undefined;
  }

  deleteWhere(match: (key: string) => boolean): void {
    this.#generation++;
    for (const key of [...this.lru.keys(), ...this.loading.keys()]) if (match(key)) this.lru.delete(key);
  }

  /**
   * Changes whenever what `peek` could answer changes (a value stored, deleted, evicted,
   * replaced or found expired), so an answer derived from `peek` may be reused while it holds.
   * An entry's TTL running out is seen on the next `peek` of it, as lru-cache sees it.
   */
  get generation(): number {
    return this.#generation;
  }
}
