/**
 * Options of opt-in provisioning (`createAuth({ provisioning: { enabled: true } })`). Off by
 * default: without them the library never writes anything but the team write-back.
 */
import { z } from 'zod';

export interface OrganizationDefaults {
  /** Default `[]`. */
  entitlements?: string[];
  /** Left out of the document unless given. */
  subscriptionTier?: string;
  /** Default `{}`. */
  subscriptionLimits?: Record<string, number>;
}

export interface ProvisioningOptions {
  /** Turns provisioning on. Default false (the `provisioning` key left out is the same). */
  enabled: boolean;
  /** Also create the `organizations` document of an unknown Stytch organization. Default false. */
  createOrganizations?: boolean;
  /** Fields of an organization created by provisioning. */
  organizationDefaults?: OrganizationDefaults;
  /**
   * `users.last_login_at` is written at most this often per member (and only on requests
   * that reload the directory, i.e. the first of each directory TTL). Default 3600; 0 = on
   * every directory reload.
   */
  lastLoginTtlSec?: number;
  /** Check once that the unique index provisioning relies on exists, and log an ERROR if not. Default true. */
  checkIndexes?: boolean;
}

export interface ResolvedProvisioningOptions {
  readonly createOrganizations: boolean;
  readonly organizationDefaults: {
    readonly entitlements: readonly string[];
    readonly subscriptionTier: string | null;
    readonly subscriptionLimits: Readonly<Record<string, number>>;
  };
  readonly lastLoginTtlSec: number;
  readonly checkIndexes: boolean;
}

export const DEFAULT_LAST_LOGIN_TTL_SEC = 3600;

/** The zod schema of `AuthOptions.provisioning`, for `resolveOptions`. Strict: a misspelled key is refused. */
export const provisioningOptionsSchema = z.strictObject({
  enabled: z.boolean(),
  createOrganizations: z.boolean().optional(),
  organizationDefaults: z
    .strictObject({
      entitlements: z.array(z.string().min(1)).optional(),
      subscriptionTier: z.string().min(1).optional(),
      subscriptionLimits: z.record(z.string(), z.number().finite()).optional(),
    })
    .optional(),
  lastLoginTtlSec: z.number().finite().min(0).max(31_536_000).optional(),
  checkIndexes: z.boolean().optional(),
});

/** Defaults filled in; `null` when provisioning is off. Expects input that passed the schema. */
export function resolveProvisioningOptions(options: ProvisioningOptions | undefined | null): ResolvedProvisioningOptions | null {
  if (!options || options.enabled !== true) return null;
  const d = options.organizationDefaults ?? {};
  return Object.freeze({
    createOrganizations: options.createOrganizations ?? false,
    organizationDefaults: Object.freeze({
      entitlements: Object.freeze([...(d.entitlements ?? [])]),
      subscriptionTier: d.subscriptionTier ?? null,
      subscriptionLimits: Object.freeze({ ...(d.subscriptionLimits ?? {}) }),
    }),
    lastLoginTtlSec: options.lastLoginTtlSec ?? DEFAULT_LAST_LOGIN_TTL_SEC,
    checkIndexes: options.checkIndexes ?? true,
  });
}

/** Validates and resolves in one step (for `provisionMember` called directly). Throws `TypeError`. */
export function parseProvisioningOptions(options: Partial<ProvisioningOptions> = {}): ResolvedProvisioningOptions {
  const parsed = provisioningOptionsSchema.safeParse({ ...options, enabled: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new TypeError(`ayz-auth: invalid provisioning options: ${issues}`);
  }
  return resolveProvisioningOptions(parsed.data as ProvisioningOptions)!;
}
