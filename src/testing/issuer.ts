/**
 * A local stand-in for a Stytch B2B project: it mints session JWTs with its own RSA keys,
 * publishes them on a loopback JWKS endpoint, and answers `sessions/authenticate` for the
 * sessions it registered. Point the library at it with `createAuth({ stytch: issuer.authOptions })`.
 */
import { randomBytes } from 'node:crypto';
import {
  FakeStytchServer,
  type AuthenticateConcurrency,
  type AuthenticateFailure,
  type JwksMode,
  type RequestCounters,
} from './fake-stytch-server.js';
import type { RbacPolicy, RbacRole } from '../rbac/policy.js';
import { RbacPolicyState, type RbacPolicyMode } from './rbac-policy.js';
import { KeyRing, type SigningKey } from './signing-keys.js';
import {
  mintSessionJwt,
  resolveSessionFacts,
  toDate,
  toEpochSeconds,
  DEFAULT_JWT_LIFETIME_SEC,
  sessionJwtFactories,
  type SessionJwtInput,
} from './session-jwt.js';
import { mintM2mToken, type M2mTokenInput } from './m2m-token.js';
import { newSessionToken, SessionStore, type SessionRecord } from './session-store.js';
import type { StytchJwk } from './stytch-shapes.js';

export interface TestIssuerOptions {
  /** Default `project-test-00000000-0000-0000-0000-000000000000`. */
  projectId?: string;
  /** Default `secret-test-<random>`. */
  secret?: string;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Which `iss` minted tokens carry: `stytch.com/<projectId>` (default) or the base URL (custom domains). */
  issuer?: 'stytch' | 'baseUrl';
  /** Delay of the `slow` JWKS and RBAC policy modes. Default 10000 ms. */
  slowMs?: number;
  /**
   * The RBAC policy served on `GET /v1/b2b/rbac/policy` (HTTP Basic checked). Default: Stytch's
   * default roles `stytch_admin` and `stytch_member` over its `stytch.*` resources.
   */
  rbacPolicy?: RbacPolicy;
}

export interface RegisterSessionInput extends SessionJwtInput {
  /** `member.email_address`. Default `<memberId>@example.test`. */
  email?: string;
  /** `member.name`. Default `Test Member`. */
  name?: string;
  /** `organization.organization_name`. Default `Test Organization`. */
  organizationName?: string;
  /** Session lifetime when `sessionExpiresAt` is not given. Default 60, like Stytch. */
  sessionDurationMinutes?: number;
  /** Use this opaque token instead of a generated `sess_tok_…`. */
  sessionToken?: string;
}

export interface RegisteredSession {
  /** Opaque token (`sess_tok_…`) that `POST /v1/b2b/sessions/authenticate` accepts. */
  sessionToken: string;
  /** A valid session JWT of the same session. */
  sessionJwt: string;
  sessionId: string;
  memberId: string;
  organizationId: string;
  organizationSlug: string;
  expiresAt: Date;
}

/** Ready for `createAuth({ stytch: issuer.authOptions })`. */
export interface TestIssuerAuthOptions {
  projectId: string;
  secret: string;
  baseUrl: string;
}

export interface TestIssuer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly baseUrl: string;
  /** `<baseUrl>/v1/b2b/sessions/jwks/<projectId>`. */
  readonly jwksUrl: string;
  readonly projectId: string;
  readonly secret: string;
  /** The `iss` minted tokens carry unless told otherwise. */
  readonly issuer: string;
  /** The kid of the current signing key. */
  readonly kid: string;
  readonly authOptions: TestIssuerAuthOptions;
  /** Live request counts of the two endpoints (fault-injected requests included). */
  readonly requests: RequestCounters;

  /** A valid Stytch-shaped session JWT. Fields left out get fresh defaults (or a registered session's, when `sessionId` names one). */
  sessionJwt(input?: SessionJwtInput): string;
  /** Expired ten minutes ago (issued fifteen minutes ago); its session, if registered, is still live. */
  expiredSessionJwt(input?: SessionJwtInput): string;
  /** `nbf` ten minutes in the future; `iat` is now. */
  notYetValidSessionJwt(input?: SessionJwtInput): string;
  /** Signed by a key the JWKS does not hold, under the current signing kid. */
  wrongKeySessionJwt(input?: SessionJwtInput): string;
  /** A Stytch M2M access token (client-credentials JWT) signed by the current key: `issuer.m2mToken({ clientId, scopes })`. */
  m2mToken(input?: M2mTokenInput): string;
  /** Registers a live session that the authenticate endpoint accepts, by token or by JWT. */
  registerSession(input?: RegisterSessionInput): RegisteredSession;
  /** Revokes by session token, session id or one of the session's JWTs. False when unknown or already revoked. */
  revokeSession(tokenOrId: string): boolean;

  /** A new key signs from now on; the JWKS serves it first, and the old ones too if `keepOld` (default true). Returns the new kid. */
  rotateKeys(options?: { keepOld?: boolean }): Promise<string>;
  /** The keys the JWKS endpoint currently serves. */
  jwks(): StytchJwk[];

  /** Test-only fault injection on the JWKS endpoint; sticky until changed back to `ok`. */
  setJwksMode(mode: JwksMode, options?: { slowMs?: number }): void;
  /** Test-only fault injection: the next `times` authenticate calls fail this way (queued in order). */
  failAuthenticate(failure?: AuthenticateFailure): void;
  clearFailures(): void;
  resetCounters(): void;
  /** Live concurrency of the authenticate endpoint (`maxInFlight` is reset by `resetCounters`). */
  readonly authenticateConcurrency: AuthenticateConcurrency;
  /** Test-only: authenticate calls are received but held unanswered until `releaseAuthenticate()`. */
  holdAuthenticate(): void;
  /** Answers every held authenticate call and stops holding. */
  releaseAuthenticate(): void;
  /** Resolves once at least `count` authenticate calls are held. */
  whenAuthenticateHeld(count: number): Promise<void>;
  /** Resolves once no authenticate call is in flight: answered, or abandoned by its client (socket closed). */
  whenAuthenticateSettled(): Promise<void>;

  /** Serve this RBAC policy from now on (services pick it up at their next refresh). */
  setRbacPolicy(policy: RbacPolicy): void;
  /** An organization's custom roles (`GET /v1/b2b/rbac/organizations/{id}`); null removes them. */
  setOrgRoles(stytchOrgId: string, roles: readonly RbacRole[] | null): void;
  /** Test-only fault injection on both RBAC policy endpoints; sticky until changed back to `ok`. */
  setRbacPolicyMode(mode: RbacPolicyMode): void;

  /** Stops the server at once, cutting held (slow / timeout) responses. Idempotent. */
  close(): Promise<void>;
}

export const DEFAULT_TEST_PROJECT_ID = 'project-test-00000000-0000-0000-0000-000000000000';

/**
 * A local Stytch on 127.0.0.1: RSA keys, the JWKS, `sessions/authenticate`, the RBAC policy,
 * token minting (`sessionJwt`, `m2mToken`, …) and fault injection. Close it after the tests.
 *
 * @example
 * const issuer = await createTestIssuer();
 * const auth = createAuth({ stytch: issuer.authOptions, mongo: { db } });
 * const token = issuer.sessionJwt({ memberId: 'member-test-alice', orgId: 'organization-test-a', roles: ['admin'] });
 * await issuer.close();
 */
export async function createTestIssuer(options: TestIssuerOptions = {}): Promise<TestIssuer> {
  const projectId = options.projectId ?? DEFAULT_TEST_PROJECT_ID;
  const secret = options.secret ?? `secret-test-${randomBytes(24).toString('base64url')}`;
  const keys = await KeyRing.create();
  const rbac = new RbacPolicyState(options.rbacPolicy);

  let defaultIssuer = `stytch.com/${projectId}`;
  const mint = (input: SessionJwtInput, key: SigningKey = keys.current, session?: SessionRecord): string => {
    const known = session ?? (input.sessionId === undefined ? undefined : sessions.get(input.sessionId));
    return mintSessionJwt(input, {
      projectId,
      issuer: defaultIssuer,
      key,
      ...(known === undefined ? {} : { session: known }),
    }).jwt;
  };
  const sessions = new SessionStore({ keys, mint: (record) => mint({}, keys.current, record) });

  const server = await FakeStytchServer.start(
    {
      projectId,
      secret,
      jwks: () => keys.jwks,
      authenticate: (body) => sessions.authenticate(body),
      rbacPolicy: () => rbac.current(),
      rbacOrgPolicy: (stytchOrgId) => rbac.orgPolicy(stytchOrgId),
    },
    {
      ...(options.host === undefined ? {} : { host: options.host }),
      ...(options.port === undefined ? {} : { port: options.port }),
      ...(options.slowMs === undefined ? {} : { slowMs: options.slowMs }),
    },
  );
  const baseUrl = server.baseUrl;
  if (options.issuer === 'baseUrl') defaultIssuer = baseUrl;

  const registerSession = (input: RegisterSessionInput = {}): RegisteredSession => {
    if (input.sessionId !== undefined && sessions.get(input.sessionId) !== undefined) {
      throw new Error(`session ${input.sessionId} is already registered`);
    }
    const issuedAt = toDate(input.issuedAt ?? new Date());
    const jwtExpiresAt = toDate(
      input.expiresAt ?? toEpochSeconds(issuedAt) + (input.expiresInSec ?? DEFAULT_JWT_LIFETIME_SEC),
    );
    const facts = resolveSessionFacts(input, undefined, { issuedAt, jwtExpiresAt });
    if (input.sessionExpiresAt === undefined && input.sessionDurationMinutes !== undefined) {
      facts.expiresAt = new Date(facts.startedAt.getTime() + input.sessionDurationMinutes * 60_000);
    }
    const record: SessionRecord = {
      ...facts,
      sessionToken: input.sessionToken ?? newSessionToken(),
      email: input.email ?? `${facts.memberId}@example.test`,
      name: input.name ?? 'Test Member',
      organizationName: input.organizationName ?? 'Test Organization',
      revoked: false,
    };
    sessions.add(record);
    return {
      sessionToken: record.sessionToken,
      sessionJwt: mint(input, keys.current, record),
      sessionId: record.sessionId,
      memberId: record.memberId,
      organizationId: record.organizationId,
      organizationSlug: record.organizationSlug,
      expiresAt: new Date(record.expiresAt.getTime()),
    };
  };


  return {
    baseUrl,
    jwksUrl: `${baseUrl}/v1/b2b/sessions/jwks/${encodeURIComponent(projectId)}`,
    projectId,
    secret,
    issuer: defaultIssuer,
    get kid() {
      return keys.current.kid;
    },
    authOptions: { projectId, secret, baseUrl },
    get requests() {
      return server.requests;
    },

    ...sessionJwtFactories(mint, () => keys.wrongKey()),
    m2mToken: (input = {}) => mintM2mToken(input, { projectId, issuer: defaultIssuer, key: keys.current }),
    registerSession,
    revokeSession: (tokenOrId) => sessions.revoke(tokenOrId),

    rotateKeys: async ({ keepOld = true } = {}) => (await keys.rotate(keepOld)).kid,
    jwks: () => structuredClone(keys.jwks),

    setJwksMode: (mode, modeOptions) => server.setJwksMode(mode, modeOptions),
    failAuthenticate: (failure = {}) => server.failAuthenticate(failure),
    clearFailures: () => server.clearFailures(),
    resetCounters: () => server.resetCounters(),
    get authenticateConcurrency() {
      return server.authenticateConcurrency;
    },
    holdAuthenticate: () => server.holdAuthenticate(),
    releaseAuthenticate: () => server.releaseAuthenticate(),
    whenAuthenticateHeld: (count) => server.whenAuthenticateHeld(count),
    whenAuthenticateSettled: () => server.whenAuthenticateSettled(),
    setRbacPolicy: (policy) => rbac.set(policy),
    setOrgRoles: (stytchOrgId, roles) => rbac.setOrgRoles(stytchOrgId, roles),
    setRbacPolicyMode: (mode) => server.setRbacPolicyMode(mode),
    close: () => server.close(),
  };
}
