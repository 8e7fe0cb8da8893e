/**
 * Options of opt-in provisioning (`createAuth({ provisioning: { enabled: true } })`). Off by
 * default: without them the library never writes anything but the team write-back.
 */
import type { z } from 'zod';
import { provisioningOptionsSchema } from '../config/options-schema.js';

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

export { DEFAULT_LAST_LOGIN_TTL_SEC, provisioningOptionsSchema } from '../config/options-schema.js';

/** Frozen; `null` when provisioning is off. Takes the schema's output (every default filled in). */
export function resolvedProvisioning(parsed: z.output<typeof provisioningOptionsSchema> | undefined) {
  if (parsed?.enabled !== true) return null;
  const d = parsed.organizationDefaults;
  return Object.freeze({
    createOrganizations: parsed.createOrganizations,
    organizationDefaults: Object.freeze({
      entitlements: Object.freeze([...d.entitlements]) as readonly string[],
      subscriptionTier: d.subscriptionTier ?? null,
      subscriptionLimits: Object.freeze({ ...d.subscriptionLimits }) as Readonly<Record<string, number>>,
    }),
    lastLoginTtlSec: parsed.lastLoginTtlSec,
    checkIndexes: parsed.checkIndexes,
  });
}

/** Provisioning options after validation, with every default filled in. */
export type ResolvedProvisioningOptions = NonNullable<ReturnType<typeof resolvedProvisioning>>;

/** Validates and resolves in one step (for `provisionMember` called directly). Throws `TypeError`. */
export function parseProvisioningOptions(options: Partial<ProvisioningOptions> = {}): ResolvedProvisioningOptions {
  const parsed = provisioningOptionsSchema.safeParse({ ...options, enabled: true });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new TypeError(`ayz-auth: invalid provisioning options: ${issues}`);
  }
  return resolvedProvisioning(parsed.data)!;
}
