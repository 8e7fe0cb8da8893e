import { AuthConfigError } from '../errors.js';
import type { AuthOptions } from './options.js';
import { LOG_LEVELS } from './resolve-options.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the variables of the spec's configuration table. Every bad variable is reported at
 * once, by its name. Nothing else in the environment (notably `CI`) changes behaviour.
 */
export function optionsFromEnv(env: Env): AuthOptions {
  const issues: { path: string; message: string }[] = [];
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

  const projectId = get('STYTCH_PROJECT_ID');
  if (projectId === undefined) issues.push({ path: 'STYTCH_PROJECT_ID', message: 'is required' });
  else if (!/^project-(test|live)-[A-Za-z0-9-]{1,100}$/.test(projectId))
    issues.push({ path: 'STYTCH_PROJECT_ID', message: 'must look like project-test-… or project-live-…' });

  const envName = get('STYTCH_ENVIRONMENT') !== undefined ? 'STYTCH_ENVIRONMENT' : 'STYTCH_ENV';
  const environment = get(envName)?.toLowerCase();
  if (environment !== undefined && environment !== 'test' && environment !== 'live')
    issues.push({ path: envName, message: `must be 'test' or 'live', got '${environment}'` });

  const uri = get('MONGODB_URI');
  if (uri !== undefined && !/^mongodb(\+srv)?:\/\//.test(uri))
    issues.push({ path: 'MONGODB_URI', message: 'must start with mongodb:// or mongodb+srv://' });
  const dbName = get('MONGODB_DB');

  const cacheTtlSec = num('STYTCH_CACHE_TTL', { min: 0, integer: true });
  const timeoutSec = num('STYTCH_REQUEST_TIMEOUT', { min: 0.001, integer: false });

  const level = get('STYTCH_LOG_LEVEL')?.toLowerCase();
  if (level !== undefined && !(LOG_LEVELS as readonly string[]).includes(level))
    issues.push({ path: 'STYTCH_LOG_LEVEL', message: `must be one of ${LOG_LEVELS.join(', ')}` });

  const baseUrl = get('STYTCH_BASE_URL');
  if (baseUrl !== undefined && !/^https?:\/\/[^\s]+$/i.test(baseUrl))
    issues.push({ path: 'STYTCH_BASE_URL', message: 'must be an http(s) URL' });

  if (issues.length > 0) throw new AuthConfigError(issues);

  const secret = get('STYTCH_SECRET');
  return {
    stytch: {
      projectId: projectId as string,
      ...(environment ? { environment: environment as 'test' | 'live' } : {}),
      ...(secret ? { secret } : {}),
      ...(baseUrl ? { baseUrl } : {}),
    },
    ...(uri ? { mongo: { uri, ...(dbName ? { dbName } : {}) } } : {}),
    ...(level ? { logLevel: level } : {}),
    ...(cacheTtlSec !== undefined ? { remote: { cacheTtlSec } } : {}),
    ...(timeoutSec !== undefined
      ? { remote: { ...(cacheTtlSec !== undefined ? { cacheTtlSec } : {}), timeoutMs: Math.round(timeoutSec * 1000) } }
      : {}),
  };
}
