import { mongoHosts } from './mongo-uri.js';
import type { ResolvedOptions } from './resolve-options.js';
import { logText } from '../log-messages.js';

export interface StartupSummary {
  /** Structured fields of the INFO line: no secret, no credentials, no token. */
  readonly fields: Readonly<Record<string, string | number | boolean | null>>;
  readonly message: string;
}

/** A URL without its user info, query or fragment (a custom domain's URL may carry credentials). */
function bareUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid)';
  }
}

/**
 * The one INFO line `createAuth` writes at start-up, so an operator can tell from the logs
 * what this instance was configured with: project (its id is not a secret), environment,
 * MongoDB (hosts and database, never credentials), opaque tokens, cache sizes and TTLs.
 */
export function startupSummary(resolved: ResolvedOptions): StartupSummary {
  const { stytch, mongo, remote, tokenCache, context, jwt } = resolved;
  let mongoField: string;
  if (mongo === null) mongoField = 'off';
  else if (mongo.kind === 'uri') mongoField = `${mongoHosts(mongo.uri)}/${mongo.dbName}`;
  else mongoField = `(Db given)/${mongo.db.databaseName}`;
  const opaque = !remote.acceptOpaqueTokens ? 'off' : stytch.secret === null ? 'off (no secret)' : 'on';

  const fields = {
    projectId: stytch.projectId,
    environment: stytch.environment,
    stytchBaseUrl: bareUrl(stytch.apiBaseUrl),
    jwksUrl: resolved.jwks.keys !== null ? '(keys in process)' : bareUrl(resolved.jwks.url),
    mongo: mongoField,
    opaqueTokens: opaque,
    tokenCacheMax: tokenCache.max,
    remoteCacheTtlSec: remote.cacheTtlSec,
    negativeCacheTtlSec: remote.negativeCacheTtlSec,
    directoryTtlSec: context.directoryTtlSec,
    directoryMax: context.directoryMax,
    teamCacheTtlSec: context.cacheTeam ? context.teamTtlSec : null,
    contextWatch: context.watch,
    onUnavailable: context.onUnavailable,
    maxTokenAgeSec: jwt.maxTokenAgeSec,
    provisioning: resolved.provisioning !== null,
  };
  const message = logText(
    'started',
    `project ${fields.projectId} (${fields.environment}), ` +
      `MongoDB ${mongoField}, opaque tokens ${opaque}, ` +
      `token cache ${fields.tokenCacheMax}, remote cache ${fields.remoteCacheTtlSec}s, ` +
      `directory cache ${fields.directoryMax} × ${fields.directoryTtlSec}s, ` +
      `team cache ${fields.teamCacheTtlSec === null ? 'off' : `${fields.teamCacheTtlSec}s`}` +
      (fields.contextWatch ? ', change streams on (context.watch)' : ''),
  );
  return { fields, message };
}
