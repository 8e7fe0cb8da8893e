import type { Logger } from 'pino';
import { MongoClient } from 'mongodb';
import type { DirectoryContext, Identity } from './auth-context.js';
import { m2mContext, type MemberAuthContext } from './auth-context-union.js';
import { EMPTY_DIRECTORY_CONTEXT } from './auth-context.js';
import type { Auth, AuthenticateRequestOptions, AuthResult, InvalidateTarget, RequestHeaders } from './auth-types.js';
import { mongoClientOptions } from './config/mongo-client-options.js';
import { mongoHosts } from './config/mongo-uri.js';
import type { AuthOptions } from './config/options.js';
import { mergeOverrides, optionsFromEnv, withVariableNames } from './config/options-from-env.js';
import { resolveOptions } from './config/resolve-options.js';
import { startupSummary } from './config/startup-summary.js';
import { ContextBuilder } from './context/context-builder.js';
import { ContextMemo } from './context/context-memo.js';
import { ContextWatch } from './context/context-watch.js';
import { markOrigin, originBrand } from './context/context-origin.js';
import type { DirectoryWiring } from './context/directory-wiring.js';
import { CallerDb, MongoConnection, type DbSource } from './context/mongo-connection.js';
import { PendingWork } from './context/pending-work.js';
import { teamSelector, type TeamSelection } from './context/team-selection.js';
import { AuthError } from './errors.js';
import { createLibraryLogger, requestLog } from './logger.js';
import { jwksReady, mongoReady } from './readiness.js';
import { rbacStoreFor } from './rbac/auth-wiring.js';
import { registerSettledAuthentication } from './internal/settled-authentication.js';
import { bearerCandidate, checkBearerToken, extractBearerToken } from './token/bearer.js';
import { logTokenRejection } from './token/rejection-log.js';
import { TokenVerifier } from './token/token-verifier.js';
import { logText } from './log-messages.js';
import { verifyM2mToken } from './token/m2m-token.js';
import { isHeaderSessionOnly, requestCredential } from './token/request-credential.js';
import type { AcceptedTokenKind } from './token/m2m-token.js';

const NO_SCOPES: readonly string[] = Object.freeze([]);

/** An `AuthResult` of the member path: its context is always a member. */
interface MemberResult extends AuthResult {
  readonly context: MemberAuthContext;
}

/**
 * Identity, then directory, then `authenticatedAt`: one literal of one shape, marked with the
 * brand of the `Auth` that made it (see ContextOrigin), frozen.
 */
function contextOf(identity: Identity, directory: DirectoryContext, authenticatedAt: Date, brand: object | null): MemberAuthContext {
  const context: MemberAuthContext = {
    kind: 'member',
    clientId: null,
    scopes: NO_SCOPES,
    memberId: identity.memberId,
    sessionId: identity.sessionId,
    stytchOrgId: identity.stytchOrgId,
    orgSlug: identity.orgSlug,
    memberEmail: identity.memberEmail,
    memberName: identity.memberName,
    roles: identity.roles,
    authenticationFactors: identity.authenticationFactors,
    authenticationFactorTimes: identity.authenticationFactorTimes,
    sessionStartedAt: identity.sessionStartedAt,
    sessionExpiresAt: identity.sessionExpiresAt,
    sessionLastAccessedAt: identity.sessionLastAccessedAt,
    customClaims: identity.customClaims,
    mongoUserId: directory.mongoUserId,
    orgId: directory.orgId,
    currentTeamId: directory.currentTeamId,
    currentTeamName: directory.currentTeamName,
    entitlements: directory.entitlements,
    subscriptionTier: directory.subscriptionTier,
    subscriptionLimits: directory.subscriptionLimits,
    authenticatedAt,
  };
  return Object.freeze(markOrigin(context, brand));
}

function resultOf(identity: Identity, directory: DirectoryContext, refreshedSessionJwt: string | null, brand: object | null, authenticatedAt: Date = new Date()): MemberResult {
  return Object.freeze({ context: contextOf(identity, directory, authenticatedAt, brand), refreshedSessionJwt });
}

/**
 * How long `close()` waits for database work in flight (requests' lookups and team
 * write-backs, background `last_login_at` writes) before closing the client anyway. Each of
 * them is bounded by the client's own timeouts; this only caps a pathological case.
 */
const CLOSE_DRAIN_MS = 15_000;

/** Using an `Auth` after `close()` is a bug of the caller, not an outage: a plain `Error`. */
function closedError(): Error {
  return new Error('ayz-auth: this Auth was closed (auth.close()); create a new one');
}

/** Validates the options (all problems at once, `AuthConfigError`) and wires the parts. */
export function createAuth(options: AuthOptions): Auth {
  const resolved = resolveOptions(options);
  const logger = createLibraryLogger(resolved.logger, resolved.logLevel);
  const verifier = new TokenVerifier(resolved, logger);
  const rbac = rbacStoreFor(resolved, logger);

  let dbs: DbSource | null = null;
  const mongo = resolved.mongo;
  if (mongo?.kind === 'uri') {
    // Connected on the first request that needs it (an unreachable server costs that request
    // a 503, never the process start), and again after a failed connect: see MongoConnection.
    const clientOptions = mongoClientOptions(mongo);
    dbs = new MongoConnection(() => new MongoClient(mongo.uri, clientOptions), mongo.dbName, mongoHosts(mongo.uri), logger);
  } else if (mongo?.kind === 'db') {
    dbs = new CallerDb(mongo.db);
  }
  const work = new PendingWork();
  const builder = dbs ? new ContextBuilder(dbs, resolved.context, logger, resolved.provisioning, work) : null;
  // context.watch: one change stream per Auth keeps the cached context true (closed by close()).
  const watch = dbs && builder && resolved.context.watch ? new ContextWatch(dbs, builder, logger) : null;
  watch?.start();
  // Per-request team selection (context.team); in the default `stored` mode no header is read.
  const selectTeam = teamSelector(resolved.context.team);
  const warmResults = new ContextMemo<MemberResult>();
  /**
   * The answer of a verified token when its whole context is in memory, else undefined (see
   * ContextMemo): the memo while the context caches have not changed, else their lookup.
   */
  const warmResult = (identity: Identity, team: TeamSelection): MemberResult | undefined => {
    const generation = builder ? builder.generation : 0;
    const memo = warmResults.peek(identity, team, generation);
    if (memo !== undefined) return memo;
    const directory = builder ? builder.cached(identity, team) : EMPTY_DIRECTORY_CONTEXT;
    if (directory === undefined) return undefined;
    return warmResults.result(identity, directory, team, generation, (authenticatedAt) => resultOf(identity, directory, null, brand, authenticatedAt));
  };
  const wiring: DirectoryWiring | null = builder ? null : { logger, reported: false };
  const brand = originBrand({ policy: rbac, wiring });
  let closed = false;
  let closing: Promise<void> | null = null;
  const summary = startupSummary(resolved);
  logger.info(summary.fields, summary.message);

  async function authenticateVerified(identity: Identity, refreshedSessionJwt: string | null, team: TeamSelection, log: Logger): Promise<MemberResult> {
    // Tracked so that close() lets a request's lookups and team write-back finish first.
    const directory = builder ? await work.track(builder.build(identity, team, log)) : EMPTY_DIRECTORY_CONTEXT;
    return resultOf(identity, directory, refreshedSessionJwt, brand);
  }

  /**
   * Never throws; failures are rejections. The warm path (token verified before, and the
   * directory, team included when it is cached, in memory) runs synchronously and answers an
   * already settled promise: no async frame, no await, one hash of the token.
   */
  function authenticateToken(token: string, team: TeamSelection, log: Logger): Promise<MemberResult> {
    if (closed) return Promise.reject(closedError());
    const identity = verifier.cachedIdentity(token);
    if (identity === undefined) {
      return verifier.verifyUncachedShared(token, log).then((verified) => authenticateVerified(verified.identity, verified.refreshedSessionJwt, team, log));
    }
    return authenticateCachedIdentity(identity, team, log);
  }

  /** `log`: the request's logger, or its id (the logger is made only when the directory must be read). */
  function authenticateCachedIdentity(identity: Identity, team: TeamSelection, log: Logger | string | number | undefined): Promise<MemberResult> {
    const warm = warmResult(identity, team);
    if (warm !== undefined) return Promise.resolve(warm);
    return authenticateVerified(identity, null, team, typeof log === 'object' ? log : requestLog(logger, log));
  }

  /**
   * A plain `Bearer <token>` header whose token hashes to a verified, bearer-shaped one is
   * that very token (SHA-256 over every byte), so the header checks would pass again: they
   * are not run again. Anything else, and every miss, takes the full way, with its error codes,
   * inside the request's log scope.
   */
  function authenticateHeaders(headers: RequestHeaders, options?: AuthenticateRequestOptions): Promise<AuthResult> {
    if (closed) return Promise.reject(closedError());
    // Cookies or M2M tokens (issue 17, opt-in): their own path; without them, exactly the old one.
    const accept = options?.accept ?? resolved.tokenSources.accept;
    if (!isHeaderSessionOnly(resolved.tokenSources, accept)) {
      return authenticateFromSources(headers, options?.method ?? '', accept, requestLog(logger, options?.requestId));
    }
    let team: TeamSelection;
    try {
      team = selectTeam(headers);
      const candidate = bearerCandidate(headers);
      if (candidate !== null) {
        const identity = verifier.cachedIdentity(candidate, true);
        if (identity !== undefined) return authenticateCachedIdentity(identity, team, options?.requestId);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return authenticateHeadersSlow(headers, team, requestLog(logger, options?.requestId));
  }

  /**
   * `authenticateHeaders` when it would answer an already settled promise: the same checks in
   * the same order (team selection, the bearer-shaped candidate, the hash of the whole token,
   * the cached identity, the cached context), without the promise. Anything else, a throw
   * included, is `undefined`: the caller then takes `authenticateHeaders`, which answers it.
   */
  function settledHeaders(headers: RequestHeaders, accept: readonly AcceptedTokenKind[] | undefined): MemberResult | undefined {
    if (closed || !isHeaderSessionOnly(resolved.tokenSources, accept ?? resolved.tokenSources.accept)) return undefined;
    try {
      const team = selectTeam(headers);
      const candidate = bearerCandidate(headers);
      if (candidate === null) return undefined;
      const identity = verifier.cachedIdentity(candidate, true);
      return identity === undefined ? undefined : warmResult(identity, team);
    } catch {
      return undefined;
    }
  }

  function authenticateHeadersSlow(headers: RequestHeaders, team: TeamSelection, log: Logger): Promise<AuthResult> {
    let token: string;
    try {
      token = extractBearerToken(headers);
    } catch (error) {
      logTokenRejection(log, error, null);
      return Promise.reject(error);
    }
    return authenticateToken(token, team, log).catch((error: unknown) => {
      logTokenRejection(log, error, token);
      throw error;
    });
  }

  /** Header or cookie, CSRF, kind, then the member path (unchanged) or the M2M verifier (no MongoDB). */
  function authenticateFromSources(headers: RequestHeaders, method: string, accept: readonly AcceptedTokenKind[], log: Logger): Promise<AuthResult> {
    let token: string;
    let machine: boolean;
    let team: TeamSelection;
    try {
      team = selectTeam(headers);
      const credential = requestCredential(headers, method, resolved.tokenSources, accept);
      token = credential.token;
      machine = credential.kind === 'm2m';
    } catch (error) {
      logTokenRejection(log, error, null);
      return Promise.reject(error);
    }
    const verified: Promise<AuthResult> = machine
      ? verifyM2mToken(token, verifier.jwks, verifier.policy).then((identity) => ({ context: m2mContext(identity), refreshedSessionJwt: null }))
      : authenticateToken(token, team, log);
    return verified.catch((error: unknown) => {
      logTokenRejection(log, error, token);
      throw error;
    });
  }

  const auth: Auth = {
    logger,
    async authenticate(token: string) {
      if (closed) throw closedError();
      if (typeof token !== 'string') throw new AuthError('token_missing');
      try {
        // No request headers here: the team is the stored one (or none in `header` mode).
        return (await authenticateToken(checkBearerToken(token), selectTeam(undefined), logger)).context;
      } catch (error) {
        logTokenRejection(logger, error, token);
        throw error;
      }
    },
    async authenticateRequest(headers: RequestHeaders, options?: AuthenticateRequestOptions) {
      const { context } = await authenticateHeaders(headers, options);
      // Its type promises a member: a machine is read through authenticateRequestWithResult.
      if (context.kind !== 'member') throw new AuthError('token_invalid', { reason: 'an M2M access token, and authenticateRequest returns member contexts' });
      return context;
    },
    authenticateRequestWithResult(headers: RequestHeaders, options?: AuthenticateRequestOptions) {
      return authenticateHeaders(headers, options);
    },
    invalidate(target: InvalidateTarget) {
      if (target.token !== undefined) verifier.forget(target.token);
      builder?.invalidate(target);
    },
    async ready() {
      if (closed) throw closedError();
      await Promise.all([jwksReady(verifier.jwks), dbs ? mongoReady(dbs, logger) : undefined]);
    },
    idle() {
      return work.idle();
    },
    close() {
      closed = true;
      rbac?.close();
      closing ??= (async () => {
        if (work.size > 0) logger.debug({ pending: work.size }, 'close: waiting for database work in flight');
        if (!(await work.drain(CLOSE_DRAIN_MS))) {
          logger.warn({ pending: work.size, waitedMs: CLOSE_DRAIN_MS }, logText('closeWorkInFlight'));
        }
        await watch?.close();
        await dbs?.close();
      })();
      return closing;
    },
  };
  registerSettledAuthentication(auth, settledHeaders);
  return auth;
}

/**
 * `createAuth` from the environment variables (the README's table), then `overrides` on top. A configuration
 * error names the variable the operator set; the environment's WARNs (the Python library's
 * variable names) are logged once, on the created instance's logger.
 */
export function createAuthFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AuthOptions> = {}): Auth {
  const fromEnv = optionsFromEnv(env, overrides);
  let auth: Auth;
  try {
    auth = createAuth(mergeOverrides(fromEnv.options, overrides));
  } catch (error) {
    throw withVariableNames(error, fromEnv.sources, overrides);
  }
  for (const warning of fromEnv.warnings) auth.logger.warn({ ...warning.fields }, warning.message);
  return auth;
}
