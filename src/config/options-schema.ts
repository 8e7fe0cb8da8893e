/**
 * The one definition of `createAuth`'s options: every rule and every default, in one zod schema.
 * Its input type is tied to the documented interfaces of `options.ts` (a key added to one and
 * not the other does not compile), its output is what `resolveOptions` builds the resolved
 * options from, and `optionsFromEnv` validates the environment with it.
 */
import type { Db } from 'mongodb';
import { z } from 'zod';
import type { AuthLogger } from '../logger.js';
import { mongoUriProblem } from './mongo-uri.js';
import type { AssertNoMismatch, OptionKeyMismatch } from './option-keys.js';
import type { AuthOptions, JwksKeysSource } from './options.js';
import { urlProblem } from './url-policy.js';

// ---- Defaults that are not a single field's (named, because other code refers to them).

/** The database when neither `mongo.dbName` nor the URI's path names one (the Python library's). */
export const DEFAULT_DB_NAME = 'soulmates';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The library's MongoDB client defaults (the Python library's timeouts, and an app name the
 * server logs show). They are not plain defaults of `mongo.clientOptions`: one is used only
 * where neither the URI nor `clientOptions` sets that option (see `mongoClientOptions`).
 */
export const MONGO_CLIENT_DEFAULTS = Object.freeze({
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 10_000,
  appName: 'ayz-auth',
});

/** The header naming the team when `context.team.from` reads it. */
export const DEFAULT_TEAM_HEADER = 'X-Team-Id';
/** The cookie names of Stytch's frontend SDK (`cookieOptions.jwtCookieName` / `opaqueTokenCookieName`). */
export const STYTCH_SESSION_COOKIES: Readonly<{ jwt: string; opaque: string }> = Object.freeze({
  jwt: 'stytch_session_jwt',
  opaque: 'stytch_session',
});
/** Stytch's backend SDKs refresh the RBAC policy after 5 minutes; so do we, in the background. */
export const DEFAULT_POLICY_REFRESH_MS = 5 * 60_000;
/** Like the JWKS: a last good policy keeps serving for an hour past its refresh time while Stytch fails. */
export const DEFAULT_POLICY_STALE_IF_ERROR_MS = 60 * 60_000;
/** `provisioning.lastLoginTtlSec`. */
export const DEFAULT_LAST_LOGIN_TTL_SEC = 3600;

// ---- Building blocks.

export const PROJECT_ID = /^project-(test|live)-[A-Za-z0-9-]{1,100}$/;

const seconds = (max: number) => z.number().finite().min(0).max(max);
const millis = (min: number, max: number) => z.number().int().min(min).max(max);

const isDb = (v: unknown): v is Db =>
  typeof v === 'object' && v !== null && typeof (v as { collection?: unknown }).collection === 'function';
const isLogger = (v: unknown): v is AuthLogger =>
  typeof v === 'object' &&
  v !== null &&
  ['child', 'info', 'warn', 'error', 'debug'].every((m) => typeof (v as Record<string, unknown>)[m] === 'function');

/** https, or http to a loopback host: see `urlProblem`. */
const stytchUrl = z.string().superRefine((url, ctx) => {
  const problem = urlProblem(url);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
});

/** RFC 6265 §4.1.1 cookie-name (an RFC 7230 token). */
const cookieName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'must be a cookie name (RFC 6265 token characters)');

/** An origin as browsers send it in `Origin`: scheme, host and port only, nothing else. */
const origin = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}, 'must be an origin exactly as browsers send it: scheme://host[:port], lower case, no path or trailing slash');

const noRepeats = (list: readonly string[]): boolean => new Set(list).size === list.length;

// Every object is strict: a misspelled key (`maxTokenAge`, `writeback`, `secrt`) would
// otherwise start the service with the control its author meant to set left off.
// `mongo.clientOptions` stays a free record: the driver's options, which the driver checks.
// A group is `.prefault({})`: left out, it is parsed as `{}`, so its fields' defaults apply.

const mongoSchema = z
  .strictObject({
    uri: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
    dbName: z.string().min(1).max(63).regex(/^[^/\\. "$*<>:|?]+$/, 'is not a valid database name').optional(),
    clientOptions: z.record(z.string(), z.unknown()).optional(),
    db: z.custom<Db>(isDb, 'must be a mongodb Db').optional(),
  })
  .superRefine((m, ctx) => {
    if (m.db !== undefined) {
      for (const key of ['uri', 'dbName', 'clientOptions'] as const) {
        if (m[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'cannot be combined with mongo.db' });
      }
      return;
    }
    if (m.uri === undefined) {
      ctx.addIssue({ code: 'custom', path: ['uri'], message: 'is required (or pass a mongodb Db as mongo.db)' });
      return;
    }
    const problem = mongoUriProblem(m.uri, m.clientOptions);
    if (problem !== null) ctx.addIssue({ code: 'custom', path: [problem.target], message: problem.message });
  });

/** `AuthOptions.rbac`: how the Stytch RBAC policy is kept. */
export const rbacOptionsSchema = z.strictObject({
  /** Refresh period of the policy. Default 300000 (5 minutes). */
  refreshIntervalMs: millis(100, 24 * 3_600_000).default(DEFAULT_POLICY_REFRESH_MS),
  /** How long past its refresh time a policy is still served while Stytch fails. Default 3600000. */
  staleIfErrorMs: millis(0, 7 * 24 * 3_600_000).default(DEFAULT_POLICY_STALE_IF_ERROR_MS),
  /** Timeout of one policy fetch. Default 10000. */
  timeoutMs: millis(100, 120_000).default(10_000),
  /** Longest wait between two failed fetches (they back off from 1 s, doubling). Default 60000. */
  maxBackoffMs: millis(100, 3_600_000).default(60_000),
  /**
   * Also read each organization's custom roles (`GET /v1/b2b/rbac/organizations/{id}`, a Stytch
   * feature enabled per workspace), as Stytch's own local check does. Default false: the
   * project policy only. When on, the first permission check of an organization waits for its
   * roles once; they are then refreshed behind the requests.
   */
  organizationPolicies: z.boolean().default(false),
  /** Organizations whose custom roles are kept in memory (least recently used evicted). Default 1000. */
  maxOrganizations: z.number().int().min(1).max(1_000_000).default(1_000),
});

/** `AuthOptions.provisioning`. `enabled` has no default: the group present says what it means. */
export const provisioningOptionsSchema = z.strictObject({
  enabled: z.boolean(),
  createOrganizations: z.boolean().default(false),
  organizationDefaults: z
    .strictObject({
      entitlements: z.array(z.string().min(1)).default([]),
      subscriptionTier: z.string().min(1).optional(),
      subscriptionLimits: z.record(z.string(), z.number().finite()).default({}),
    })
    .prefault({}),
  lastLoginTtlSec: z.number().finite().min(0).max(31_536_000).default(DEFAULT_LAST_LOGIN_TTL_SEC),
  checkIndexes: z.boolean().default(true),
});

/** Token sources and kinds: top-level options of `createAuth` (`accept` also per route). */
export const tokenSourceOptionsSchema = z.strictObject({
  /** Where tokens are read. The header always wins when both are present. */
  tokenFrom: z
    .array(z.enum(['header', 'cookie']))
    .min(1)
    .refine(noRepeats, 'must not repeat a source')
    .default(['header']),
  /** Cookie names, when the SDK's `cookieOptions` renamed them. */
  cookies: z
    .strictObject({ jwt: cookieName.default(STYTCH_SESSION_COOKIES.jwt), opaque: cookieName.default(STYTCH_SESSION_COOKIES.opaque) })
    .refine((names) => names.jwt !== names.opaque, 'jwt and opaque must be different cookie names')
    .prefault({}),
  /** Origins (besides the service's own) whose pages may make unsafe cookie-authenticated requests. */
  csrf: z.strictObject({ allowedOrigins: z.array(origin).max(100).default([]) }).prefault({}),
  /** Token kinds accepted: member sessions, M2M access tokens, or both. */
  accept: z
    .array(z.enum(['session', 'm2m']))
    .min(1)
    .refine(noRepeats, 'must not repeat a kind')
    .default(['session']),
});

export const authOptionsSchema = z
  .strictObject({
    stytch: z.strictObject({
      projectId: z.string().regex(PROJECT_ID, 'must look like project-test-… or project-live-…'),
      // No default here: a live project id means the live host (see `resolveOptions`).
      environment: z.enum(['test', 'live'], "must be 'test' or 'live' (a base URL goes in stytch.baseUrl)").optional(),
      secret: z.string().min(1, 'must not be empty').optional(),
      baseUrl: stytchUrl.optional(),
    }),
    mongo: mongoSchema.optional(),
    logger: z.custom<AuthLogger>(isLogger, 'must be a logger with child, debug, info, warn and error (pino, Fastify app.log)').optional(),
    logLevel: z.enum(LOG_LEVELS, `must be one of ${LOG_LEVELS.join(', ')}`).default('info'),
    jwt: z
      .strictObject({ clockToleranceSec: seconds(300).default(5), maxTokenAgeSec: seconds(31_536_000).gt(0).optional() })
      .prefault({}),
    jwks: z
      .strictObject({
        url: stytchUrl.optional(),
        keys: z
          .custom<JwksKeysSource>(
            (v) =>
              typeof v === 'function' ||
              (typeof v === 'object' && v !== null && Array.isArray((v as { keys?: unknown }).keys)),
            'must be a key set { keys: [...] } or a function returning one',
          )
          .optional(),
        timeoutMs: millis(1, 120_000).default(5_000),
        cooldownMs: millis(0, 3_600_000).default(30_000),
        maxAgeMs: millis(1_000, 86_400_000).default(600_000),
        staleIfErrorMs: millis(0, 604_800_000).default(3_600_000),
      })
      .prefault({}),
    remote: z
      .strictObject({
        cacheTtlSec: seconds(86_400).default(300),
        timeoutMs: millis(1, 120_000).default(10_000),
        retries: z.number().int().min(0).max(5).default(2),
        negativeCacheTtlSec: seconds(3_600).default(30),
        maxInFlight: z.number().int().min(1).max(10_000).default(32),
        acceptOpaqueTokens: z.boolean().default(true),
      })
      .prefault({}),
    tokenCache: z.strictObject({ max: z.number().int().min(0).max(10_000_000).default(10_000) }).prefault({}),
    context: z
      .strictObject({
        directoryTtlSec: seconds(86_400).default(60),
        directoryMax: z.number().int().min(1).max(10_000_000).default(10_000),
        cacheTeam: z.boolean().default(false),
        teamTtlSec: seconds(86_400).default(30),
        writeBackTeam: z.boolean().default(true),
        onUnavailable: z.enum(['fail', 'degrade']).default('fail'),
        requireTeamMembership: z.boolean().default(false),
        watch: z.boolean().default(false),
        team: z
          .strictObject({
            from: z.enum(['stored', 'header', 'header-or-stored']).default('stored'),
            // An HTTP field name (RFC 9110 token), never one the library reads for itself.
            header: z
              .string()
              .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'must be an HTTP header name')
              .refine((h) => h.toLowerCase() !== 'authorization', 'cannot be Authorization')
              .default(DEFAULT_TEAM_HEADER),
          })
          .prefault({}),
      })
      .prefault({}),
    provisioning: provisioningOptionsSchema.optional(),
    // Optional, not prefaulted: the policy is read with the secret, so `rbac` given without one
    // is an error, which a filled-in default would hide; `resolveOptions` uses RBAC_DEFAULTS.
    rbac: rbacOptionsSchema.optional(),
    ...tokenSourceOptionsSchema.shape,
  })
  .superRefine((o, ctx) => {
    if (o.rbac !== undefined && !o.stytch.secret) {
      ctx.addIssue({ code: 'custom', path: ['rbac'], message: 'the RBAC policy is read with the project secret: set stytch.secret' });
    }
    if (o.context.team.from !== 'stored' && !o.mongo) {
      ctx.addIssue({ code: 'custom', path: ['context', 'team', 'from'], message: 'a team from the request needs the mongo option' });
    }
    if (o.provisioning?.enabled && !o.mongo) {
      ctx.addIssue({ code: 'custom', path: ['provisioning', 'enabled'], message: 'provisioning needs the mongo option' });
    }
    const prefix = PROJECT_ID.exec(o.stytch.projectId)?.[1];
    if (prefix && o.stytch.environment && prefix !== o.stytch.environment) {
      ctx.addIssue({
        code: 'custom',
        path: ['stytch', 'environment'],
        message: `'${o.stytch.environment}' does not match a ${prefix} project id`,
      });
    }
  });

/** `rbac` with every default: what an `Auth` with a secret and no `rbac` option uses. */
export const RBAC_DEFAULTS = Object.freeze(rbacOptionsSchema.parse({}));

/** The options as validated, every default filled in (before the derived fields of `resolveOptions`). */
export type ParsedOptions = z.output<typeof authOptionsSchema>;

/** The tie: the documented interfaces and the schema name the same options (see `option-keys.ts`). */
export type OptionsMatchSchema = AssertNoMismatch<OptionKeyMismatch<AuthOptions, z.input<typeof authOptionsSchema>>>;
