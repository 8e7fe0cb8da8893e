export type { Check, CheckMode, AsyncCheck } from './check.js';
export { requiredNames, requiredName } from './required-names.js';
export { hasEntitlement, entitlementError } from './entitlement-check.js';
export { factorError, createFactorCheck } from './factor-check.js';
export { factorAgeError, parseFactorWindow, type FactorGuardOptions } from './factor-age.js';
export { claimError } from './claim-check.js';
export { teamError } from './team-check.js';
export { roleError, hasRole, createRoleCheck, type RoleCheckOptions, type RoleGuardOptions } from './role-check.js';
export { forAnyCaller, isAnyCallerCheck, type AnyCallerCheck } from './any-caller.js';
