/**
 * The permission decision against Stytch's semantics: every row of the decision table, and
 * random policies, give the verdict of Stytch's rule, restated below in its plain form (keep
 * the session's roles that the policy defines, take their permissions, grant when one names
 * the resource exactly and holds the action or `*`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildPermissionIndex, isAuthorized, type RbacRole } from 'ayz-auth';
import { DECISION_TABLE, TABLE_ORG_ROLES, TABLE_POLICY } from './stytch-decision-table.js';

/** Stytch's rule, stated directly over the role list (project roles, then the org's). */
function stytchRule(policyRoles: readonly RbacRole[], subjectRoles: readonly string[], resource: string, action: string): boolean {
  return policyRoles
    .filter((role) => subjectRoles.includes(role.role_id))
    .flatMap((role) => role.permissions)
    .some((p) => p.resource_id === resource && (p.actions.includes(action) || p.actions.includes('*')));
}

describe('decision table', () => {
  for (const row of DECISION_TABLE) {
    it(`${row.name}: ${row.allowed ? 'allowed' : 'refused'}`, () => {
      const orgRoles = row.withOrgRoles ? TABLE_ORG_ROLES : [];
      const index = buildPermissionIndex(TABLE_POLICY, orgRoles);
      expect(index.isAuthorized(row.roles, row.resource, row.action)).toBe(row.allowed);
      expect(isAuthorized(TABLE_POLICY, row.roles, row.resource, row.action, orgRoles)).toBe(row.allowed);
      expect(stytchRule([...TABLE_POLICY.roles, ...orgRoles], row.roles, row.resource, row.action)).toBe(row.allowed);
      expect(index.grantingRoles(row.resource, row.action)).toEqual(row.granting);
    });
  }

  it('covers what the issue lists', () => {
    const names = DECISION_TABLE.map((r) => r.name).join('\n');
    for (const topic of ['wildcard', 'unknown resource', 'role without the action', 'default member role', 'custom org role', 'several roles', 'no roles']) {
      expect(names).toContain(topic);
    }
  });
});

describe('random policies', () => {
  const ids = fc.constantFrom('a', 'b', 'c', 'stytch_member', 'x.y', '*');
  const actions = fc.constantFrom('read', 'write', 'delete', '*', 'READ');
  const role = fc.record({
    role_id: ids,
    description: fc.constant(''),
    permissions: fc.array(fc.record({ resource_id: fc.constantFrom('docs', 'images', 'stytch.self', 'Docs'), actions: fc.array(actions, { maxLength: 3 }) }), { maxLength: 3 }),
  });

  it('the compiled index decides as Stytch does, and names exactly the granting roles', () => {
    fc.assert(
      fc.property(
        fc.array(role, { maxLength: 6 }),
        fc.array(role, { maxLength: 3 }),
        fc.array(ids, { maxLength: 4 }),
        fc.constantFrom('docs', 'images', 'stytch.self', 'unknown'),
        actions,
        (projectRoles, orgRoles, held, resource, action) => {
          const all = [...projectRoles, ...orgRoles];
          const index = buildPermissionIndex({ roles: projectRoles }, orgRoles);
          expect(index.isAuthorized(held, resource, action)).toBe(stytchRule(all, held, resource, action));
          const granting = new Set(all.filter((r) => stytchRule([r], [r.role_id], resource, action)).map((r) => r.role_id));
          expect(new Set(index.grantingRoles(resource, action))).toEqual(granting);
          expect(index.grantingRoles(resource, action).length).toBe(granting.size);
          // A role is granting exactly when holding it alone is allowed.
          for (const r of granting) expect(index.isAuthorized([r], resource, action)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
