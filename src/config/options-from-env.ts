import { AuthConfigError } from '../errors.js';
import { configIssues } from './config-issues.js';
import type { AuthOptions } from './options.js';
import { authOptionsSchema } from './options-schema.js';
import { logText } from '../log-messages.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A WARN about the environment, logged once on the created `Auth`'s logger. Names, never values. */
export interface EnvWarning {
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

export interface EnvOptions {
  readonly options: AuthOptions;
  readonly warnings: readonly EnvWarning[];
  /**
   * Which variable gave each option (`'mongo.uri' → 'MONGODB_URI'`), so an error found later,
   * while resolving the options, names what the operator actually set.
   */
  readonly sources: Readonly<Record<string, string>>;
}

/** The Python library's names for the MongoDB settings, read as aliases of ours. */
const PYTHON_ALIASES = [
  { legacy: 'STYTCH_MONGODB_URI', current: 'MONGODB_URI' },
  { legacy: 'STYTCH_MONGODB_DB', current: 'MONGODB_DB' },
] as const;

/** The Python library's Redis cache settings; this library has no Redis cache. */
const PYTHON_REDIS = /^STYTCH_(REDIS_[A-Z0-9_]+|CACHE_PREFIX)$/;

/**
 * Reads the configuration variables (the README's environment table). Every bad variable is reported at
 * once, by its name. Nothing else in the environment (notably `CI`) changes behaviour.
 * `overrides` (`createAuthFromEnv`'s second argument) decide the options they set: a variable
 * they override is not judged.
 */
export function optionsFromEnv(env: Env, overrides: Partial<AuthOptions> = {}): EnvOptions {
  const issues: { path: string; message: string }[] = [];
  const warnings: EnvWarning[] = [];
  const sources: Record<string, string> = {};
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const num = (name: string, { min, integer }: { min: number; integer: boolean }): number | undefined => {
    const raw = get(name);
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
      issues.push({ path: name, message: `must be ${integer ? 'an integer' : 'a number'} ≥ ${min}, got '${raw}'` });
      return undefined;
    }
    return n;
  };
  /** Our name, else the Python library's (with a WARN); ours wins when both are set. */
  const aliased = (alias: (typeof PYTHON_ALIASES)[number]): { name: string; value: string } | undefined => {
    const current = get(alias.current);
    const legacy = get(alias.legacy);
    if (legacy !== undefined) {
      warnings.push({
        message:
          current !== undefined ? logText('envBothNames', alias.legacy, alias.current) : logText('envPythonName', alias.legacy, alias.current),
        fields: { variable: alias.legacy, replacement: alias.current },
      });
    }
    if (current !== undefined) return { name: alias.current, value: current };
    return legacy === undefined ? undefined : { name: alias.legacy, value: legacy };
  };

  // The variables are mapped to option paths here (with their conversions: numbers, seconds to
  // ms, lower case, the Python library's names); the rules are the options schema's, so a value
  // is valid in the environment exactly when it is valid in code.
  const projectId = get('STYTCH_PROJECT_ID');
  if (projectId === undefined) issues.push({ path: 'STYTCH_PROJECT_ID', message: 'is required' });
  sources['stytch.projectId'] = 'STYTCH_PROJECT_ID';

  const envName = get('STYTCH_ENVIRONMENT') !== undefined ? 'STYTCH_ENVIRONMENT' : 'STYTCH_ENV';
  const rawEnvironment = get(envName);
  const environment = rawEnvironment?.toLowerCase();
  if (rawEnvironment !== undefined && environment !== 'test' && environment !== 'live') {
    // The Python library took any other value as the Stytch base URL.
    issues.push(
      /^[a-z][a-z0-9+.-]*:\/\/|\./i.test(rawEnvironment)
        ? { path: envName, message: "looks like a base URL: set 'test' or 'live' here and put the URL in STYTCH_BASE_URL" }
        : { path: envName, message: `must be 'test' or 'live', got '${rawEnvironment}'` },
    );
  }
  sources['stytch.environment'] = envName;
  sources['stytch.secret'] = 'STYTCH_SECRET';

  const uri = aliased(PYTHON_ALIASES[0]);
  if (uri !== undefined) sources['mongo.uri'] = uri.name;
  const dbName = aliased(PYTHON_ALIASES[1]);
  if (dbName !== undefined) sources['mongo.dbName'] = dbName.name;

  const redis = Object.keys(env)
    .filter((name) => PYTHON_REDIS.test(name) && get(name) !== undefined)
    .sort();
  if (redis.length > 0) {
    warnings.push({
      message: logText('envRedisUnused', redis.join(', ')),
      fields: { variables: redis },
    });
  }

  const cacheTtlSec = num('STYTCH_CACHE_TTL', { min: 0, integer: true });
  sources['remote.cacheTtlSec'] = 'STYTCH_CACHE_TTL';
  const timeoutSec = num('STYTCH_REQUEST_TIMEOUT', { min: 0.001, integer: false });
  sources['remote.timeoutMs'] = 'STYTCH_REQUEST_TIMEOUT';
  const level = get('STYTCH_LOG_LEVEL')?.toLowerCase();
  sources['logLevel'] = 'STYTCH_LOG_LEVEL';
  const baseUrl = get('STYTCH_BASE_URL');
  sources['stytch.baseUrl'] = 'STYTCH_BASE_URL';

  const secret = get('STYTCH_SECRET');
  const remote = {
    ...(cacheTtlSec !== undefined ? { cacheTtlSec } : {}),
    ...(timeoutSec !== undefined ? { timeoutMs: Math.round(timeoutSec * 1000) } : {}),
  };
  const options: AuthOptions = {
    stytch: {
      projectId: projectId ?? '',
      ...(environment === 'test' || environment === 'live' ? { environment } : {}),
      ...(secret ? { secret } : {}),
      ...(baseUrl ? { baseUrl } : {}),
    },
    ...(uri ? { mongo: { uri: uri.value, ...(dbName ? { dbName: dbName.value } : {}) } } : {}),
    ...(level ? { logLevel: level } : {}),
    ...(Object.keys(remote).length > 0 ? { remote } : {}),
  };

  // Every bad variable at once: the conversion problems above, then the schema's on the options
  // as `createAuth` will see them, each named by its variable (one problem per variable). A
  // problem of the code's own options is left for `createAuth` to report under its option path.
  const parsed = authOptionsSchema.safeParse(mergeOverrides(options, overrides));
  if (!parsed.success) {
    const named = withVariableNames(new AuthConfigError(configIssues(authOptionsSchema, parsed.error)), sources, overrides);
    const variables = new Set(Object.values(sources));
    if (named instanceof AuthConfigError) {
      for (const issue of named.issues) {
        if (variables.has(issue.path) && !issues.some((known) => known.path === issue.path)) issues.push(issue);
      }
    }
  }
  if (issues.length > 0) throw new AuthConfigError(issues);

  return { options, warnings, sources };
}

/** Top-level options whose fields `createAuthFromEnv` merges with the environment's (the others are replaced). */
const MERGED_OPTIONS = new Set<string>(['stytch', 'remote']);

/** The environment's options with `overrides` on top: `stytch` and `remote` field by field, the rest replaced. */
export function mergeOverrides(fromEnv: AuthOptions, overrides: Partial<AuthOptions>): AuthOptions {
  return {
    ...fromEnv,
    ...overrides,
    stytch: { ...fromEnv.stytch, ...overrides.stytch },
    ...(fromEnv.remote || overrides.remote ? { remote: { ...fromEnv.remote, ...overrides.remote } } : {}),
  };
}

/** Whether `overrides` decides the option at `path` (so an error there is the code's, not the environment's). */
function overridden(path: string, overrides: Partial<AuthOptions>): boolean {
  const [top, field] = path.split('.') as [string, string | undefined];
  const value = (overrides as Record<string, unknown>)[top];
  if (value === undefined) return false;
  if (!MERGED_OPTIONS.has(top) || field === undefined) return true;
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>)[field] !== undefined;
}

/**
 * An `AuthConfigError` raised on the merged options, with each option path that came from the
 * environment replaced by its variable (`mongo.dbName` → `MONGODB_DB`). Other errors pass.
 */
export function withVariableNames(error: unknown, sources: Readonly<Record<string, string>>, overrides: Partial<AuthOptions>): unknown {
  if (!(error instanceof AuthConfigError)) return error;
  let renamed = false;
  const issues = error.issues.map((issue) => {
    for (const [path, variable] of Object.entries(sources)) {
      if ((issue.path === path || issue.path.startsWith(`${path}.`)) && !overridden(path, overrides)) {
        renamed = true;
        return { path: variable, message: issue.message };
      }
    }
    return issue;
  });
  return renamed ? new AuthConfigError(issues) : error;
}
