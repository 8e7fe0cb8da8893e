export {
  provisionMember,
  PROVISIONED_BY,
  type ProvisionIdentity,
  type ProvisionResult,
  type ProvisionSkipReason,
} from './provision-member.js';
export {
  createProvisioningIndexes,
  PROVISIONING_INDEXES,
  type ProvisioningIndex,
} from './provisioning-indexes.js';
export {
  DEFAULT_LAST_LOGIN_TTL_SEC,
  type OrganizationDefaults,
  type ProvisioningOptions,
  type ResolvedProvisioningOptions,
} from './provisioning-options.js';
