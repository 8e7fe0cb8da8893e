import type { Db, MongoClientOptions } from 'mongodb';
import type { AuthLogger } from '../logger.js';
import type { ProvisioningOptions } from '../provisioning/provisioning-options.js';
import type { RbacOptions } from '../rbac/rbac-options.js';
import type { AcceptedTokenKind } from '../token/m2m-token.js';
import type { TokenSource } from '../token/token-source.js';

export type { AuthLogger, AuthLogFn } from '../logger.js';

export type StytchEnvironment = 'test' | 'live';

export interface StytchOptions {
  /** `project-test-…` or `project-live-…`. The audience every session JWT must carry. */
  projectId: string;
  /** Picks `https://test.stytch.com` or `https://api.stytch.com`. Default `test`. */
  environment?: StytchEnvironment;
  /** API secret. Only needed to check opaque session tokens (and to refresh expired JWTs). */
  secret?: string;
  /** Replaces `https://{test|api}.stytch.com`: custom domains and tests. Also an accepted `iss`. */
  baseUrl?: string;
}

export type MongoOptions =
  | { uri: string; dbName?: string; clientOptions?: MongoClientOptions }
  | { db: Db };

export interface JwtOptions {
  /** Seconds of clock skew allowed on `exp`/`nbf`. Default 5. */
  clockToleranceSec?: number;
  /** Reject sessions whose JWT was issued (`iat`) longer ago than this. Default: no limit. */
  maxTokenAgeSec?: number;
}

/** A key set (`{ keys: [...] }`) given in process, or a function returning one (called on each key refresh). */
export type JwksKeysSource =
  | { keys: readonly object[] }
  | (() => { keys: readonly object[] } | Promise<{ keys: readonly object[] }>);

export interface JwksOptions {
  /** Override the JWKS address (default `{host}/v1/b2b/sessions/jwks/{projectId}`). */
  url?: string;
  /**
   * Keys given in process instead of fetched from `url` (tests: `createLocalTestIssuer().jwksOptions`;
   * air-gapped deployments). A function is called wherever a fetch would happen (first use,
   * unknown kid after the cooldown, `maxAgeMs`), so a rotating provider is seen.
   */
  keys?: JwksKeysSource;
  /** Abort a JWKS fetch after this many ms. Default 5000. */
  timeoutMs?: number;
  /** Refetch the keys at most this often when a token names an unknown `kid`. Default 30000. */
  cooldownMs?: number;
  /** Keys are refetched in the background after this many ms. Default 600000 (10 min). */
  maxAgeMs?: number;
  /** How long the last good keys keep serving while the JWKS endpoint fails. Default 3600000. */
  staleIfErrorMs?: number;
}

export interface RemoteOptions {
  /** Seconds a remote session check is cached, never past the session's expiry. Default 300. */
  cacheTtlSec?: number;
  /** Per-attempt timeout of a call to Stytch, in ms. Default 10000. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx or network error (a 429 is never retried). Default 2. */
  retries?: number;
  /**
   * Seconds a rejection by Stytch (unknown, expired or revoked session) is remembered, by token
   * hash, so the same bad token costs one call per window. Default 30; 0 disables.
   */
  negativeCacheTtlSec?: number;
  /** Calls to Stytch in flight at once per `Auth`; beyond it, 503 `stytch_unavailable` at once. Default 32. */
  maxInFlight?: number;
  /**
   * Check opaque session tokens with Stytch. `false` refuses them (401 `token_unsupported`)
   * while expired session JWTs are still renewed with the secret. Default true.
   */
  acceptOpaqueTokens?: boolean;
}

export interface TokenCacheOptions {
  /** Verified tokens kept (LRU). Default 10000; 0 disables the cache. */
  max?: number;
}

export type ContextUnavailableMode = 'fail' | 'degrade';

/** Where the context's team comes from: see `ContextOptions.team`. */
export type TeamSource = 'stored' | 'header' | 'header-or-stored';

export interface TeamSelectionOptions {
  /**
   * `stored` (default): `users.current_team_id`, validated (and corrected) as before.
   * `header`: the team the request's header names, which must be a team of the organization
   * with an active membership of the user (else 403 `team_forbidden`); no header, no team;
   * nothing is written back. `header-or-stored`: the header when the request has one, else the
   * stored team (for a gradual migration of clients).
   */
  from?: TeamSource;
  /** The request header naming the team (a 24-hex id). Default `X-Team-Id`. */
  header?: string;
}

export interface ContextOptions {
  /** Seconds an organization + user lookup is cached. Default 60; 0 disables. */
  directoryTtlSec?: number;
  /** Entries kept in the directory cache. Default 10000. */
  directoryMax?: number;
  /** Cache the team too (a team switch then shows after `teamTtlSec`). Default false. */
  cacheTeam?: boolean;
  /** Seconds a team is cached when `cacheTeam` is on. Default 30. */
  teamTtlSec?: number;
  /** Write a corrected team back to `users.current_team_id`. Default true. */
  writeBackTeam?: boolean;
  /** MongoDB failing: `fail` → 503 `context_unavailable` (default); `degrade` → null fields + WARN. */
  onUnavailable?: ContextUnavailableMode;
  /**
   * Treat a current team the user has no active `user_team_memberships` row for as stale
   * (replaced, or null). Default false (Python parity); recommended, and the default in 1.0.
   */
  requireTeamMembership?: boolean;
  /** Per-request team selection (stateless team context). Default: the stored team. Needs `mongo`. */
  team?: TeamSelectionOptions;
  /**
   * Keep the cached context true with one MongoDB change stream per `Auth` (needs a replica
   * set): every change evicts what it affects, and the team is cached like the directory while
   * the stream is open. Default false.
   */
  watch?: boolean;
}

export interface AuthOptions {
  stytch: StytchOptions;
  /** Enables the MongoDB context. Without it the library authenticates only. */
  mongo?: MongoOptions;
  /**
   * The service's logger: a pino `Logger`, Fastify's `app.log`, pino-http's `req.log` (any
   * `AuthLogger`). The library logs through a child `{ lib: 'ayz-auth' }`; with a pino logger,
   * lines written while a request is authenticated carry its `reqId`.
   */
  logger?: AuthLogger;
  /** Level of the default logger when no `logger` is given. Default `info`. */
  logLevel?: string;
  jwt?: JwtOptions;
  jwks?: JwksOptions;
  remote?: RemoteOptions;
  tokenCache?: TokenCacheOptions;
  context?: ContextOptions;
  // --- Token sources and kinds (issue 17). Defaults keep the header-only, member-only behaviour.
  /** Where tokens are read: `['header']` (default) or `['header', 'cookie']`. The header always wins. */
  tokenFrom?: TokenSource[];
  /** Names of the session cookies, when Stytch's SDK `cookieOptions` renamed them. Default `stytch_session_jwt` / `stytch_session`. */
  cookies?: { jwt?: string; opaque?: string };
  /** Origins (besides the service's own) whose pages may make unsafe cookie-authenticated requests. */
  csrf?: { allowedOrigins?: string[] };
  /** Token kinds accepted by default: `['session']` (default), `['m2m']` or both; routes may override. */
  accept?: AcceptedTokenKind[];
  /** Opt-in: create the user and membership (and, if allowed, the organization) of a new member. Off by default; needs `mongo`. */
  provisioning?: ProvisioningOptions;
  /** How the Stytch RBAC policy behind `hasPermission` is kept (needs `stytch.secret`). */
  rbac?: RbacOptions;
}
