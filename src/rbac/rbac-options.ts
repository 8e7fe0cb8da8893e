/**
 * `AuthOptions.rbac`: how the Stytch RBAC policy is kept. The schema (with its defaults) is part
 * of the one options schema; the types follow from it (input with optional fields, output with
 * every default filled in).
 */
import type { z } from 'zod';
import { rbacOptionsSchema } from '../config/options-schema.js';

export { DEFAULT_POLICY_REFRESH_MS, DEFAULT_POLICY_STALE_IF_ERROR_MS, rbacOptionsSchema } from '../config/options-schema.js';

export type RbacOptions = z.input<typeof rbacOptionsSchema>;
export type ResolvedRbacOptions = Readonly<z.output<typeof rbacOptionsSchema>>;

/** Validated options with defaults; throws zod's error (the caller turns it into an `AuthConfigError`). */
export function resolveRbacOptions(options: RbacOptions | undefined): ResolvedRbacOptions {
  return rbacOptionsSchema.parse(options ?? {});
}
