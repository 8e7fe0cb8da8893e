import { MongoClient, type Db } from 'mongodb';
import type { AuthContext, DirectoryContext, Identity } from './auth-context.js';
import { EMPTY_DIRECTORY_CONTEXT } from './auth-context.js';
import type { Auth, AuthResult, InvalidateTarget, RequestHeaders } from './auth-types.js';
import type { AuthOptions } from './config/options.js';
import { optionsFromEnv } from './config/options-from-env.js';
import { resolveOptions } from './config/resolve-options.js';
import { ContextBuilder } from './context/context-builder.js';
import { AuthError } from './errors.js';
import { createLibraryLogger } from './logger.js';
import { bearerCandidate, checkBearerToken, extractBearerToken } from './token/bearer.js';
import { TokenVerifier } from './token/token-verifier.js';

/** Identity, then directory, then `authenticatedAt`: one literal of one shape, frozen. */
function contextOf(identity: Identity, directory: DirectoryContext): AuthContext {
  return Object.freeze({
    memberId: identity.memberId,
    sessionId: identity.sessionId,
    stytchOrgId: identity.stytchOrgId,
    orgSlug: identity.orgSlug,
    memberEmail: identity.memberEmail,
    memberName: identity.memberName,
    roles: identity.roles,
    authenticationFactors: identity.authenticationFactors,
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
    authenticatedAt: new Date(),
  });
}

function resultOf(identity: Identity, directory: DirectoryContext, refreshedSessionJwt: string | null): AuthResult {
  return { context: contextOf(identity, directory), refreshedSessionJwt };
}

/** Validates the options (all problems at once, `AuthConfigError`) and wires the parts. */
export function createAuth(options: AuthOptions): Auth {
  const resolved = resolveOptions(options);
  const logger = createLibraryLogger(resolved.logger, resolved.logLevel);
  const verifier = new TokenVerifier(resolved, logger);

  let client: MongoClient | null = null;
  let db: Db | null = null;
  if (resolved.mongo?.kind === 'uri') {
    // The driver connects lazily on the first operation, so an unreachable server costs the
    // request that needs it (a 503), never the process start.
    client = new MongoClient(resolved.mongo.uri, {
      serverSelectionTimeoutMS: 5_000,
      connectTimeoutMS: 5_000,
      socketTimeoutMS: 10_000,
      appName: 'ayz-auth',
      ...resolved.mongo.clientOptions,
    });
    db = client.db(resolved.mongo.dbName);
  } else if (resolved.mongo?.kind === 'db') {
    db = resolved.mongo.db;
  }
  const builder = db ? new ContextBuilder(db, resolved.context, logger, resolved.provisioning) : null;
  let closed = false;

  async function authenticateVerified(identity: Identity, refreshedSessionJwt: string | null): Promise<AuthResult> {
    const directory = builder ? await builder.build(identity) : EMPTY_DIRECTORY_CONTEXT;
    return resultOf(identity, directory, refreshedSessionJwt);
  }

  /**
   * Never throws; failures are rejections. The warm path (token verified before, and the
   * directory, team included when it is cached, in memory) runs synchronously and answers an
   * already settled promise: no async frame, no await, one hash of the token.
   */
  function authenticateToken(token: string, knownKey?: string): Promise<AuthResult> {
    if (closed) return Promise.reject(new AuthError('context_unavailable', { message: 'This Auth instance is closed' }));
    const key = knownKey ?? verifier.keyOf(token);
    const identity = verifier.cachedIdentity(key);
    if (identity === undefined) {
      return verifier.verifyKeyed(token, key).then((verified) => authenticateVerified(verified.identity, verified.refreshedSessionJwt));
    }
    return authenticateCachedIdentity(identity);
  }

  function authenticateCachedIdentity(identity: Identity): Promise<AuthResult> {
    const directory = builder ? builder.cached(identity) : EMPTY_DIRECTORY_CONTEXT;
    if (directory !== undefined) return Promise.resolve(resultOf(identity, directory, null));
    return authenticateVerified(identity, null);
  }

  /**
   * A plain `Bearer <token>` header whose token hashes to a verified, bearer-shaped one is
   * that very token (SHA-256 over every byte), so the header checks would pass again: they
   * are not run again. Anything else, and every miss, takes the full way, with its error codes.
   */
  function authenticateHeaders(headers: RequestHeaders): Promise<AuthResult> {
    try {
      const candidate = closed ? null : bearerCandidate(headers);
      let key: string | undefined;
      if (candidate !== null) {
        key = verifier.keyOf(candidate);
        const identity = verifier.cachedIdentity(key, true);
        if (identity !== undefined) return authenticateCachedIdentity(identity);
      }
      const token = extractBearerToken(headers);
      return authenticateToken(token, token === candidate ? key : undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  return {
    logger,
    async authenticate(token: string) {
      if (typeof token !== 'string') throw new AuthError('token_missing');
      return (await authenticateToken(checkBearerToken(token))).context;
    },
    async authenticateRequest(headers: RequestHeaders) {
      return (await authenticateHeaders(headers)).context;
    },
    authenticateRequestWithResult(headers: RequestHeaders) {
      return authenticateHeaders(headers);
    },
    invalidate(target: InvalidateTarget) {
      if (target.token !== undefined) verifier.forget(target.token);
      builder?.invalidate(target);
    },
    async close() {
      closed = true;
      if (client) await client.close();
    },
  };
}

/** `createAuth` from the spec's environment variables, then `overrides` on top. */
export function createAuthFromEnv(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AuthOptions> = {}): Auth {
  const fromEnv = optionsFromEnv(env);
  return createAuth({
    ...fromEnv,
    ...overrides,
    stytch: { ...fromEnv.stytch, ...overrides.stytch },
    ...(fromEnv.remote || overrides.remote ? { remote: { ...fromEnv.remote, ...overrides.remote } } : {}),
  });
}
