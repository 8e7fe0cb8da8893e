import { createLocalJWKSet, errors as joseErrors, type JSONWebKeySet, type JWK, type JWTHeaderParameters } from 'jose';
import type { Logger } from 'pino';
import { AuthError } from '../errors.js';
import { logText } from '../log-messages.js';

/** Keys given in process instead of fetched (see `JwksOptions.keys`). */
export type JwksKeysProvider = () => unknown;

export interface JwksStoreOptions {
  readonly timeoutMs: number;
  readonly cooldownMs: number;
  readonly maxAgeMs: number;
  readonly staleIfErrorMs: number;
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;
type ResolvedKey = Awaited<ReturnType<KeyResolver>>;

const MAX_JWKS_BYTES = 1_000_000;

/** Only keys that can verify an RS256 signature are kept; a JWKS may carry others. */
function usableKeys(body: unknown): JWK[] {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { keys?: unknown }).keys)) return [];
  return ((body as { keys: unknown[] }).keys).filter((k): k is JWK => {
    if (typeof k !== 'object' || k === null) return false;
    const jwk = k as Record<string, unknown>;
    return (
      jwk.kty === 'RSA' &&
      typeof jwk.n === 'string' &&
      typeof jwk.e === 'string' &&
      (jwk.alg === undefined || jwk.alg === 'RS256') &&
      (jwk.use === undefined || jwk.use === 'sig')
    );
  });
}

/** First wait after a failed fetch; it doubles with each further failure, up to `cooldownMs`. */
const FIRST_RETRY_MS = 1_000;

/** Keys fetched from one address, as every store of that address may use them. */
interface FetchedKeys {
  readonly resolver: KeyResolver;
  readonly kids: ReadonlySet<string>;
  readonly fetchedAt: number;
}

// The only state shared between Auths: the last keys fetched from each address (the keys of a
// Stytch project are the same for every service of it, and a second copy would double the
// fetches). Options, logger, failures and back-off stay with each Auth's own store.
const fetchedKeysByUrl = new Map<string, FetchedKeys>();

/** A kid is named in a reason only when it looks like a key id: short, plain characters. */
const SHOWABLE_KID = /^[A-Za-z0-9_.:-]{1,64}$/;

function describeKid(kid: unknown): string {
  if (kid === undefined) return 'no key matches (token without kid)';
  return typeof kid === 'string' && SHOWABLE_KID.test(kid) ? `unknown kid ${kid}` : 'unknown kid (not shown: not a short id)';
}

/**
 * The signing keys of one JWKS address. Better than a bare remote key set in five ways:
 * one fetch at a time (every waiter shares it), a cooldown before an unknown `kid` may cause
 * another fetch, a timeout on each fetch, the last good keys keep serving for
 * `staleIfErrorMs` while the endpoint fails instead of failing every request, and a failed
 * fetch backs off (1 s, doubling, at most `cooldownMs`): meanwhile requests that need a fetch
 * get `jwks_unavailable` from the remembered failure, not a fetch and an ERROR line each.
 */
export class JwksStore {
  private resolver: KeyResolver | null = null;
  private kids = new Set<string>();
  private fetchedAt = 0;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<boolean> | null = null;
  private failingSince: number | null = null;
  /** Consecutive failed fetches; 0 after a success. */
  private failures = 0;
  private lastFailure = '';
  /** Fetches started, for tests and benchmarks. */
  fetchCount = 0;

  constructor(
    readonly url: string,
    private readonly options: JwksStoreOptions,
    private readonly logger: Logger,
    private readonly provider: JwksKeysProvider | null = null,
  ) {}

  /** How long after the last attempt another may start: the cooldown, or the failure back-off. */
  private retryDelayMs(): number {
    if (this.failures === 0) return this.options.cooldownMs;
    return Math.min(this.options.cooldownMs, FIRST_RETRY_MS * 2 ** Math.min(this.failures - 1, 30));
  }

  private mayFetch(now: number): boolean {
    return now - this.lastAttemptAt >= this.retryDelayMs();
  }

  /**
   * A fresh copy of the keys when one may be had: the fetch in flight, or a new one unless the
   * last failure is too recent. Resolves false when there is none.
   */
  private async fetchIfAllowed(now: number): Promise<boolean> {
    if (this.inflight !== null) return this.inflight;
    if (this.failures > 0 && !this.mayFetch(now)) return false;
    return this.refresh();
  }

  private unavailable(): AuthError {
    const next = Math.max(0, this.lastAttemptAt + this.retryDelayMs() - Date.now());
    return new AuthError('jwks_unavailable', {
      reason: this.failures > 0 ? `JWKS fetch failed (${this.lastFailure}); next attempt in ${next} ms` : 'no JWKS keys',
    });
  }

  /** Takes keys another store of the same address fetched after this one's last fetch. */
  private adoptFetchedKeys(): void {
    if (this.provider !== null) return;
    const shared = fetchedKeysByUrl.get(this.url);
    if (shared === undefined || shared.fetchedAt <= this.fetchedAt) return;
    this.resolver = shared.resolver;
    this.kids = new Set(shared.kids);
    this.fetchedAt = shared.fetchedAt;
  }

  /** The key for a JWS header; the function jose's `jwtVerify` calls. */
  readonly getKey = async (header: JWTHeaderParameters): Promise<ResolvedKey> => {
    this.adoptFetchedKeys();
    const now = Date.now();
    if (this.resolver === null) {
      if (!(await this.fetchIfAllowed(now))) throw this.unavailable();
    } else if (now - this.fetchedAt > this.options.maxAgeMs) {
      if (now - this.fetchedAt > this.options.maxAgeMs + this.options.staleIfErrorMs) {
        // Too old to trust any longer: wait for a fresh copy, and fail if there is none.
        if (!(await this.fetchIfAllowed(now))) throw this.unavailable();
      } else if (this.inflight === null && this.mayFetch(now)) {
        // Old but serviceable: refresh behind the request, not in front of it.
        void this.refresh();
      }
    }

    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (kid !== undefined && !this.kids.has(kid) && (this.inflight !== null || this.mayFetch(Date.now()))) {
      // An unknown kid may be a rotation: refetch, at most once per cooldown (or back-off).
      await this.refresh();
    }
    const resolver = this.resolver;
    if (resolver === null) throw this.unavailable();
    try {
      return await resolver(header);
    } catch (error) {
      if (error instanceof joseErrors.JWKSNoMatchingKey) {
        // While the endpoint fails, an unknown kid may be a rotation we cannot see yet.
        if (this.failingSince !== null) {
          throw new AuthError('jwks_unavailable', { cause: error, reason: `${describeKid(header.kid)} while the JWKS endpoint fails` });
        }
        throw new AuthError('token_invalid', { cause: error, reason: describeKid(header.kid) });
      }
      throw error;
    }
  };

  /** Fetch the key set once, shared by every concurrent caller. Resolves true on success. */
  refresh(): Promise<boolean> {
    if (this.inflight) return this.inflight;
    this.inflight = this.fetchKeys().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async fetchKeys(): Promise<boolean> {
    this.lastAttemptAt = Date.now();
    this.fetchCount += 1;
    let reason: string;
    if (this.provider !== null) {
      try {
        const keys = usableKeys(await this.provider());
        if (keys.length > 0) {
          this.install({ keys });
          return true;
        }
        reason = 'no usable RS256 key';
      } catch {
        reason = 'key provider failed';
      }
      this.onFailure(reason);
      return false;
    }
    try {
      const response = await fetch(this.url, {
        headers: { accept: 'application/json' },
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await response.text();
      if (!response.ok) {
        reason = `HTTP ${response.status}`;
      } else if (text.length > MAX_JWKS_BYTES) {
        reason = 'response too large';
      } else {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const keys = usableKeys(body);
        if (keys.length > 0) {
          this.install({ keys });
          return true;
        }
        reason = body === undefined ? 'response is not JSON' : 'no usable RS256 key';
      }
    } catch (error) {
      reason = error instanceof Error && error.name === 'TimeoutError' ? `timed out after ${this.options.timeoutMs} ms` : 'network error';
    }
    this.onFailure(reason);
    return false;
  }

  private install(jwks: JSONWebKeySet): void {
    this.failures = 0;
    this.resolver = createLocalJWKSet(jwks);
    this.kids = new Set(jwks.keys.map((k) => k.kid).filter((k): k is string => typeof k === 'string'));
    this.fetchedAt = Date.now();
    if (this.provider === null) fetchedKeysByUrl.set(this.url, { resolver: this.resolver, kids: this.kids, fetchedAt: this.fetchedAt });
    if (this.failingSince !== null) this.logger.info({ jwksUrl: this.url }, logText('jwksRecovered'));
    this.failingSince = null;
  }

  private onFailure(reason: string): void {
    this.failingSince ??= Date.now();
    this.failures += 1;
    this.lastFailure = reason;
    const retryInMs = this.retryDelayMs();
    if (reason === 'HTTP 404') {
      // Stytch answers 404 for a project it does not know: a configuration error, not an outage.
      this.logger.error(
        { jwksUrl: this.url, reason, retryInMs },
        logText('jwksUnknownAddress'),
      );
    } else if (this.resolver !== null) {
      this.logger.warn(
        { jwksUrl: this.url, reason, retryInMs, keysAgeMs: Date.now() - this.fetchedAt, staleIfErrorMs: this.options.staleIfErrorMs },
        logText('jwksRefreshFailed'),
      );
    } else {
      this.logger.error({ jwksUrl: this.url, reason, retryInMs }, logText('jwksFetchFailed'));
    }
  }
}

/**
 * The key store of one `Auth`. Each `Auth` owns its store, so its `jwks` options and its logger
 * are the ones used; two services in one process that name the same address fetch separately
 * (a fetch per cooldown each), which is cheaper than one silently setting the other's timeouts.
 * In-process keys (`jwks.keys`) are served through the same store, with the caller's provider.
 */
export function jwksStoreFor(source: { readonly url: string; readonly keys: object | (() => unknown) | null }, options: JwksStoreOptions, logger: Logger): JwksStore {
  if (source.keys === null) return new JwksStore(source.url, options, logger);
  const keys = source.keys;
  const provider: JwksKeysProvider = typeof keys === 'function' ? (keys as () => unknown) : () => keys;
  return new JwksStore('in-process:jwks', options, logger, provider);
}
