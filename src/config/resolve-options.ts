import { AuthConfigError } from '../errors.js';
import { configIssues } from './config-issues.js';
import type { AuthOptions, StytchEnvironment } from './options.js';
import { authOptionsSchema, DEFAULT_DB_NAME, RBAC_DEFAULTS, type ParsedOptions } from './options-schema.js';
import { resolvedProvisioning } from '../provisioning/provisioning-options.js';
import { resolvedTokenSources } from '../token/token-source.js';

export { DEFAULT_DB_NAME, LOG_LEVELS } from './options-schema.js';

/** The database a URI names in its path, else the default, as the Python library chose it. */
export function databaseNameFromUri(uri: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?#]*)/.exec(uri)?.[1];
  if (!path) return DEFAULT_DB_NAME;
  try {
    return decodeURIComponent(path) || DEFAULT_DB_NAME;
  } catch {
    return DEFAULT_DB_NAME;
  }
}

/** The Stytch settings with what follows from them: the environment, API origin and accepted issuers. */
function resolvedStytch(stytch: ParsedOptions['stytch']) {
  const { projectId } = stytch;
  // A live project id defaults to the live host: defaulting to test (as the Python library did)
  // sent live tokens to the wrong host.
  const environment: StytchEnvironment = stytch.environment ?? (projectId.startsWith('project-live-') ? 'live' : 'test');
  /** Origin of the Stytch API, no trailing slash. */
  const apiBaseUrl = (stytch.baseUrl ?? `https://${environment === 'live' ? 'api' : 'test'}.stytch.com`).replace(/\/+$/, '');
  /** Accepted `iss` values. */
  const issuers: readonly string[] = stytch.baseUrl ? [`stytch.com/${projectId}`, apiBaseUrl] : [`stytch.com/${projectId}`];
  return { projectId, environment, secret: stytch.secret ?? null, apiBaseUrl, issuers } as const;
}

/** A MongoDB given as a URI (the database named by `dbName`, else by the URI) or as a `Db`; null: no context. */
function resolvedMongo(mongo: ParsedOptions['mongo']) {
  if (mongo?.db !== undefined) return { kind: 'db', db: mongo.db } as const;
  if (mongo?.uri === undefined) return null;
  return {
    kind: 'uri',
    uri: mongo.uri,
    dbName: mongo.dbName ?? databaseNameFromUri(mongo.uri),
    clientOptions: mongo.clientOptions ?? {},
  } as const;
}

/**
 * Validates the options with the one schema (which fills every default) and adds what is
 * derived from them. Throws `AuthConfigError` listing every problem, with the closest known
 * name for a misspelled key.
 */
export function resolveOptions(options: AuthOptions) {
  const parsed = authOptionsSchema.safeParse(options);
  if (!parsed.success) throw new AuthConfigError(configIssues(authOptionsSchema, parsed.error));
  const o = parsed.data;
  const stytch = resolvedStytch(o.stytch);
  return {
    stytch,
    mongo: resolvedMongo(o.mongo),
    logger: o.logger ?? null,
    logLevel: o.logLevel,
    jwt: { clockToleranceSec: o.jwt.clockToleranceSec, maxTokenAgeSec: o.jwt.maxTokenAgeSec ?? null },
    /** `keys` null → fetch `url`. */
    jwks: { ...o.jwks, url: o.jwks.url ?? `${stytch.apiBaseUrl}/v1/b2b/sessions/jwks/${stytch.projectId}`, keys: o.jwks.keys ?? null },
    remote: o.remote,
    tokenCache: o.tokenCache,
    context: {
      ...o.context,
      // Node's parsed headers are keyed in lower case.
      team: { from: o.context.team.from, header: o.context.team.header.toLowerCase() },
    },
    /** Null when provisioning is off (the default). */
    provisioning: resolvedProvisioning(o.provisioning),
    /** Used only when there is a secret. */
    rbac: o.rbac ?? RBAC_DEFAULTS,
    tokenSources: resolvedTokenSources(o),
  } as const;
}

/** The options after validation, with every default filled in: what the parts receive. */
export type ResolvedOptions = ReturnType<typeof resolveOptions>;
