/**
 * The decision table of permission checks, side by side with Stytch's semantics. One policy,
 * one list of cases, each with the verdict Stytch's own local authorization check gives for
 * the same policy and session roles: a role of the session that the policy (project roles,
 * then the organization's custom roles) defines, holding a permission on exactly that
 * resource whose actions include the action or `*`.
 *
 * The policy's first four roles and the cases marked `sdk` restate the cases of the Stytch
 * Node SDK's own test of its local check (documents / images, default / organization_admin /
 * editor / reader); the others cover what the issue asks for (wildcards, unknown resources,
 * Stytch's default member role, custom organization roles, several roles, no roles).
 */
import type { RbacPolicy, RbacRole } from 'ayz-auth';

export const TABLE_POLICY: RbacPolicy = {
  resources: [
    { resource_id: 'documents', description: '', actions: ['create', 'read', 'write', 'delete'] },
    { resource_id: 'images', description: '', actions: ['create', 'read', 'delete'] },
    { resource_id: 'stytch.self', description: '', actions: ['update.info.name', 'revoke-sessions'] },
    { resource_id: 'stytch.member', description: '', actions: ['create', 'delete'] },
  ],
  roles: [
    { role_id: 'default', description: '', permissions: [] },
    {
      role_id: 'organization_admin',
      description: '',
      permissions: [
        { resource_id: 'documents', actions: ['*'] },
        { resource_id: 'images', actions: ['*'] },
      ],
    },
    {
      role_id: 'editor',
      description: '',
      permissions: [
        { resource_id: 'documents', actions: ['read', 'write'] },
        { resource_id: 'images', actions: ['create', 'read', 'delete'] },
      ],
    },
    {
      role_id: 'reader',
      description: '',
      permissions: [
        { resource_id: 'documents', actions: ['read'] },
        { resource_id: 'images', actions: ['read'] },
      ],
    },
    { role_id: 'stytch_member', description: '', permissions: [{ resource_id: 'stytch.self', actions: ['*'] }] },
    {
      role_id: 'stytch_admin',
      description: '',
      permissions: [
        { resource_id: 'stytch.self', actions: ['*'] },
        { resource_id: 'stytch.member', actions: ['*'] },
      ],
    },
  ],
  scopes: [],
};

/** Custom roles of one organization (Stytch adds them to the project's roles for its members). */
export const TABLE_ORG_ROLES: readonly RbacRole[] = [
  { role_id: 'auditor', description: 'org custom role', permissions: [{ resource_id: 'documents', actions: ['read'] }] },
  // Same id as a project role: Stytch concatenates the lists, so the grants add up.
  { role_id: 'reader', description: 'org extension', permissions: [{ resource_id: 'images', actions: ['create'] }] },
];

export interface DecisionCase {
  readonly name: string;
  readonly roles: readonly string[];
  readonly resource: string;
  readonly action: string;
  /** Evaluate with `TABLE_ORG_ROLES` added (an organization with custom roles). */
  readonly withOrgRoles?: boolean;
  readonly allowed: boolean;
  /** Every role of the policy that grants it (the 403's `granting_roles`). */
  readonly granting: readonly string[];
  readonly sdk?: true;
}

export const DECISION_TABLE: readonly DecisionCase[] = [
  { name: 'exact action match', sdk: true, roles: ['default', 'reader'], resource: 'documents', action: 'read', allowed: true, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'wildcard action grants a named action', sdk: true, roles: ['default', 'organization_admin'], resource: 'documents', action: 'read', allowed: true, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'several roles, several grants', sdk: true, roles: ['default', 'reader', 'editor', 'organization_admin'], resource: 'documents', action: 'read', allowed: true, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'several roles, one grants', sdk: true, roles: ['default', 'reader', 'editor', 'organization_admin'], resource: 'images', action: 'create', allowed: true, granting: ['editor', 'organization_admin'] },
  { name: 'role without the action', sdk: true, roles: ['default', 'editor'], resource: 'documents', action: 'delete', allowed: false, granting: ['organization_admin'] },
  { name: 'action granted on another resource only', sdk: true, roles: ['default', 'editor'], resource: 'images', action: 'write', allowed: false, granting: ['organization_admin'] },
  { name: 'wildcard action grants an action the resource does not declare', roles: ['organization_admin'], resource: 'documents', action: 'archive', allowed: true, granting: ['organization_admin'] },
  { name: 'asking for * needs a * grant', roles: ['editor'], resource: 'documents', action: '*', allowed: false, granting: ['organization_admin'] },
  { name: 'asking for * with a * grant', roles: ['organization_admin'], resource: 'documents', action: '*', allowed: true, granting: ['organization_admin'] },
  { name: 'unknown resource', roles: ['organization_admin', 'editor', 'reader'], resource: 'invoices', action: 'read', allowed: false, granting: [] },
  { name: 'no resource wildcard or prefix match', roles: ['organization_admin'], resource: 'documents.drafts', action: 'read', allowed: false, granting: [] },
  { name: 'resource ids are case-sensitive', roles: ['organization_admin'], resource: 'Documents', action: 'read', allowed: false, granting: [] },
  { name: 'actions are case-sensitive', roles: ['reader'], resource: 'documents', action: 'READ', allowed: false, granting: ['organization_admin'] },
  { name: 'a session role the policy does not define', roles: ['ghost'], resource: 'documents', action: 'read', allowed: false, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'a role with no permissions', roles: ['default'], resource: 'documents', action: 'read', allowed: false, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'no roles at all', roles: [], resource: 'documents', action: 'read', allowed: false, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'default member role on its own member', roles: ['stytch_member'], resource: 'stytch.self', action: 'revoke-sessions', allowed: true, granting: ['stytch_member', 'stytch_admin'] },
  { name: 'default member role grants nothing else', roles: ['stytch_member'], resource: 'stytch.member', action: 'delete', allowed: false, granting: ['stytch_admin'] },
  { name: 'default admin role on members', roles: ['stytch_member', 'stytch_admin'], resource: 'stytch.member', action: 'delete', allowed: true, granting: ['stytch_admin'] },
  { name: 'custom org role, in its organization', roles: ['stytch_member', 'auditor'], resource: 'documents', action: 'read', withOrgRoles: true, allowed: true, granting: ['editor', 'reader', 'auditor', 'organization_admin'] },
  { name: 'custom org role, without the org policy', roles: ['stytch_member', 'auditor'], resource: 'documents', action: 'read', allowed: false, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'custom org role without the action', roles: ['auditor'], resource: 'documents', action: 'write', withOrgRoles: true, allowed: false, granting: ['editor', 'organization_admin'] },
  { name: 'org policy extends a project role id', roles: ['reader'], resource: 'images', action: 'create', withOrgRoles: true, allowed: true, granting: ['editor', 'reader', 'organization_admin'] },
  { name: 'same role without the org extension', roles: ['reader'], resource: 'images', action: 'create', allowed: false, granting: ['editor', 'organization_admin'] },
];
