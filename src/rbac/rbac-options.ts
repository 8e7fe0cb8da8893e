/**
 * `AuthOptions.rbac`: how the Stytch RBAC policy is kept. The schema is the source of the types
 * (input with optional fields, output with every default filled in).
 */
import { z } from 'zod';

/** Stytch's backend SDKs refresh the policy after 5 minutes; so do we, in the background. */
export const DEFAULT_POLICY_REFRESH_MS = 5 * 60_000;
/** Like the JWKS: a last good policy keeps serving for an hour past its refresh time while Stytch fails. */
export const DEFAULT_POLICY_STALE_IF_ERROR_MS = 60 * 60_000;

const millis = (min: number, max: number) => z.number().int().min(min).max(max);

export const rbacOptionsSchema = z
  .strictObject({
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

export type RbacOptions = z.input<typeof rbacOptionsSchema>;
export type ResolvedRbacOptions = Readonly<z.output<typeof rbacOptionsSchema>>;

/** Validated options with defaults; throws zod's error (the caller turns it into an `AuthConfigError`). */
export function resolveRbacOptions(options: RbacOptions | undefined): ResolvedRbacOptions {
  return rbacOptionsSchema.parse(options ?? {});
}
