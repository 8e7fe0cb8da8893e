import type { Db } from 'mongodb';
import { z } from 'zod';
import { AuthConfigError } from '../errors.js';
import type { AuthLogger } from '../logger.js';
import { configIssues } from './config-issues.js';
import { mongoUriProblem } from './mongo-uri.js';
import { urlProblem } from './url-policy.js';
import type { AuthOptions, ContextUnavailableMode, JwksKeysSource, StytchEnvironment } from './options.js';
import { DEFAULT_TEAM_HEADER, type ResolvedTeamSelection } from '../context/team-selection.js';
import {
  provisioningOptionsSchema,
  resolveProvisioningOptions,
  type ProvisioningOptions,
  type ResolvedProvisioningOptions,
} from '../provisioning/provisioning-options.js';
import { rbacOptionsSchema, resolveRbacOptions, type ResolvedRbacOptions } from '../rbac/rbac-options.js';
import { resolveTokenSourceOptions, tokenSourceOptionsSchema, type ResolvedTokenSourceOptions } from '../token/token-source.js';

/** The options after validation, with every default filled in: what the parts receive. */
export interface ResolvedOptions {
  readonly stytch: {
    readonly projectId: string;
    readonly environment: StytchEnvironment;
    readonly secret: string | null;
    /** Origin of the Stytch API, no trailing slash. */
    readonly apiBaseUrl: string;
    /** Accepted `iss` values. */
    readonly issuers: readonly string[];
  };
  readonly mongo:
    | { readonly kind: 'uri'; readonly uri: string; readonly dbName: string; readonly clientOptions: Record<string, unknown> }
    | { readonly kind: 'db'; readonly db: Db }
    | null;
  readonly logger: AuthLogger | null;
  readonly logLevel: string;
  readonly jwt: { readonly clockToleranceSec: number; readonly maxTokenAgeSec: number | null };
  readonly jwks: {
    readonly url: string;
    /** In-process keys; null → fetch `url`. */
    readonly keys: JwksKeysSource | null;
    readonly timeoutMs: number;
    readonly cooldownMs: number;
    readonly maxAgeMs: number;
    readonly staleIfErrorMs: number;
  };
  readonly remote: {
    readonly cacheTtlSec: number;
    readonly timeoutMs: number;
    readonly retries: number;
    readonly negativeCacheTtlSec: number;
    readonly maxInFlight: number;
    readonly acceptOpaqueTokens: boolean;
  };
  readonly tokenCache: { readonly max: number };
  readonly context: {
    readonly directoryTtlSec: number;
    readonly directoryMax: number;
    readonly cacheTeam: boolean;
    readonly teamTtlSec: number;
    readonly writeBackTeam: boolean;
    readonly onUnavailable: ContextUnavailableMode;
    readonly requireTeamMembership: boolean;
    readonly team: ResolvedTeamSelection;
    readonly watch: boolean;
  };
  /** Null when provisioning is off (the default). */
  readonly provisioning: ResolvedProvisioningOptions | null;
  /** With defaults filled in; used only when there is a secret. */
  readonly rbac: ResolvedRbacOptions;
  /** `tokenFrom`, `cookies`, `csrf`, `accept` (issue 17). */
  readonly tokenSources: ResolvedTokenSourceOptions;
}

export const DEFAULT_DB_NAME = 'soulmates';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const PROJECT_ID = /^project-(test|live)-[A-Za-z0-9-]{1,100}$/;

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

// Every object is strict: a misspelled key (`maxTokenAge`, `writeback`, `secrt`) would
// otherwise start the service with the control its author meant to set left off.
// `mongo.clientOptions` stays a free record: the driver's options, which the driver checks.
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

const schema = z
  .strictObject({
    stytch: z.strictObject({
      projectId: z.string().regex(PROJECT_ID, 'must look like project-test-… or project-live-…'),
      environment: z.enum(['test', 'live'], "must be 'test' or 'live' (a base URL goes in stytch.baseUrl)").optional(),
      secret: z.string().min(1, 'must not be empty').optional(),
      baseUrl: stytchUrl.optional(),
    }),
    mongo: mongoSchema.optional(),
    logger: z.custom<AuthLogger>(isLogger, 'must be a logger with child, debug, info, warn and error (pino, Fastify app.log)').optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
    jwt: z
      .strictObject({ clockToleranceSec: seconds(300).optional(), maxTokenAgeSec: seconds(31_536_000).gt(0).optional() })
      .optional(),
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
        timeoutMs: millis(1, 120_000).optional(),
        cooldownMs: millis(0, 3_600_000).optional(),
        maxAgeMs: millis(1_000, 86_400_000).optional(),
        staleIfErrorMs: millis(0, 604_800_000).optional(),
      })
      .optional(),
    remote: z
      .strictObject({
        cacheTtlSec: seconds(86_400).optional(),
        timeoutMs: millis(1, 120_000).optional(),
        retries: z.number().int().min(0).max(5).optional(),
        negativeCacheTtlSec: seconds(3_600).optional(),
        maxInFlight: z.number().int().min(1).max(10_000).optional(),
        acceptOpaqueTokens: z.boolean().optional(),
      })
      .optional(),
    tokenCache: z.strictObject({ max: z.number().int().min(0).max(10_000_000).optional() }).optional(),
    context: z
      .strictObject({
        directoryTtlSec: seconds(86_400).optional(),
        directoryMax: z.number().int().min(1).max(10_000_000).optional(),
        cacheTeam: z.boolean().optional(),
        teamTtlSec: seconds(86_400).optional(),
        writeBackTeam: z.boolean().optional(),
        onUnavailable: z.enum(['fail', 'degrade']).optional(),
        requireTeamMembership: z.boolean().optional(),
        watch: z.boolean().optional(),
        team: z
          .strictObject({
            from: z.enum(['stored', 'header', 'header-or-stored']).optional(),
            // An HTTP field name (RFC 9110 token), never one the library reads for itself.
            header: z
              .string()
              .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/, 'must be an HTTP header name')
              .refine((h) => h.toLowerCase() !== 'authorization', 'cannot be Authorization')
              .optional(),
          })
          .optional(),
      })
      .optional(),
    provisioning: provisioningOptionsSchema.optional(),
    rbac: rbacOptionsSchema.optional(),
    ...tokenSourceOptionsSchema.shape,
  })
  .superRefine((o, ctx) => {
    if (o.rbac !== undefined && !o.stytch.secret) {
      ctx.addIssue({ code: 'custom', path: ['rbac'], message: 'the RBAC policy is read with the project secret: set stytch.secret' });
    }
    const teamFrom = o.context?.team?.from;
    if (teamFrom !== undefined && teamFrom !== 'stored' && !o.mongo) {
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

export function resolveOptions(options: AuthOptions): ResolvedOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw new AuthConfigError(configIssues(schema, parsed.error));
  const o = parsed.data;

  const projectId = o.stytch.projectId;
  // A live project id defaults to the live host: defaulting to test (as the Python library did)
  // sent live tokens to the wrong host.
  const environment: StytchEnvironment =
    o.stytch.environment ?? (projectId.startsWith('project-live-') ? 'live' : 'test');
  const apiBaseUrl = (o.stytch.baseUrl ?? `https://${environment === 'live' ? 'api' : 'test'}.stytch.com`).replace(
    /\/+$/,
    '',
  );
  const issuers = [`stytch.com/${projectId}`];
  if (o.stytch.baseUrl) issuers.push(apiBaseUrl);

  let mongo: ResolvedOptions['mongo'] = null;
  if (o.mongo?.db !== undefined) {
    mongo = { kind: 'db', db: o.mongo.db };
  } else if (o.mongo?.uri !== undefined) {
    mongo = {
      kind: 'uri',
      uri: o.mongo.uri,
      dbName: o.mongo.dbName ?? databaseNameFromUri(o.mongo.uri),
      clientOptions: o.mongo.clientOptions ?? {},
    };
  }

  return {
    stytch: { projectId, environment, secret: o.stytch.secret ?? null, apiBaseUrl, issuers },
    mongo,
    logger: o.logger ?? null,
    logLevel: o.logLevel ?? 'info',
    jwt: { clockToleranceSec: o.jwt?.clockToleranceSec ?? 5, maxTokenAgeSec: o.jwt?.maxTokenAgeSec ?? null },
    jwks: {
      url: o.jwks?.url ?? `${apiBaseUrl}/v1/b2b/sessions/jwks/${projectId}`,
      keys: o.jwks?.keys ?? null,
      timeoutMs: o.jwks?.timeoutMs ?? 5_000,
      cooldownMs: o.jwks?.cooldownMs ?? 30_000,
      maxAgeMs: o.jwks?.maxAgeMs ?? 600_000,
      staleIfErrorMs: o.jwks?.staleIfErrorMs ?? 3_600_000,
    },
    remote: {
      cacheTtlSec: o.remote?.cacheTtlSec ?? 300,
      timeoutMs: o.remote?.timeoutMs ?? 10_000,
      retries: o.remote?.retries ?? 2,
      negativeCacheTtlSec: o.remote?.negativeCacheTtlSec ?? 30,
      maxInFlight: o.remote?.maxInFlight ?? 32,
      acceptOpaqueTokens: o.remote?.acceptOpaqueTokens ?? true,
    },
    tokenCache: { max: o.tokenCache?.max ?? 10_000 },
    context: {
      directoryTtlSec: o.context?.directoryTtlSec ?? 60,
      directoryMax: o.context?.directoryMax ?? 10_000,
      cacheTeam: o.context?.cacheTeam ?? false,
      teamTtlSec: o.context?.teamTtlSec ?? 30,
      writeBackTeam: o.context?.writeBackTeam ?? true,
      onUnavailable: o.context?.onUnavailable ?? 'fail',
      requireTeamMembership: o.context?.requireTeamMembership ?? false,
      watch: o.context?.watch ?? false,
      team: { from: o.context?.team?.from ?? 'stored', header: (o.context?.team?.header ?? DEFAULT_TEAM_HEADER).toLowerCase() },
    },
    provisioning: resolveProvisioningOptions(o.provisioning as ProvisioningOptions | undefined),
    rbac: resolveRbacOptions(o.rbac),
    tokenSources: resolveTokenSourceOptions({ tokenFrom: o.tokenFrom, cookies: o.cookies, csrf: o.csrf, accept: o.accept }),
  };
}
