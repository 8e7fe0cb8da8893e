import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AuthError, createRoleCheck, hasRole, roleError } from 'ayz-auth';
import { contextOf } from '../tenancy/context-of.js';

const H = ['owner', 'admin', 'member', 'viewer'];
const withRoles = (...roles: string[]) => contextOf({ roles });

describe('roleError', () => {
  it('passes when the session holds the role', () => {
    expect(roleError(withRoles('stytch_member', 'admin'), ['admin'])).toBeNull();
  });

  it('refuses with 403 role_missing, naming required and current roles', () => {
    const error = roleError(withRoles('stytch_member', 'viewer'), ['admin']);
    expect(error).toBeInstanceOf(AuthError);
    expect(error?.status).toBe(403);
    expect(error?.body).toEqual({
      error: 'role_missing',
      message: "This action requires the 'admin' role",
      required_roles: ['admin'],
      current_roles: ['stytch_member', 'viewer'],
    });
    expect(error?.headers['WWW-Authenticate']).toContain('error="insufficient_scope"');
  });

  it('without a hierarchy, roles match exactly (owner is not admin)', () => {
    expect(roleError(withRoles('owner'), ['admin'])?.code).toBe('role_missing');
  });

  it('with a hierarchy, a higher role satisfies a lower one, never the reverse', () => {
    expect(roleError(withRoles('owner'), ['admin'], { hierarchy: H })).toBeNull();
    expect(roleError(withRoles('admin'), ['viewer'], { hierarchy: H })).toBeNull();
    expect(roleError(withRoles('admin'), ['admin'], { hierarchy: H })).toBeNull();
    expect(roleError(withRoles('member'), ['admin'], { hierarchy: H })?.body.message).toBe(
      "This action requires the 'admin' role or a higher one",
    );
    expect(roleError(withRoles('viewer'), ['member'], { hierarchy: H })).not.toBeNull();
  });

  it('roles outside the hierarchy match exactly, in both directions', () => {
    expect(roleError(withRoles('billing'), ['billing'], { hierarchy: H })).toBeNull();
    expect(roleError(withRoles('billing'), ['viewer'], { hierarchy: H })).not.toBeNull();
    expect(roleError(withRoles('owner'), ['billing'], { hierarchy: H })).not.toBeNull();
  });

  it('any / all modes', () => {
    expect(roleError(withRoles('billing'), ['billing', 'admin'], { mode: 'any' })).toBeNull();
    expect(roleError(withRoles('billing'), ['billing', 'admin'], { mode: 'all' })?.body).toMatchObject({
      message: 'This action requires all of the roles: billing, admin',
      required_roles: ['billing', 'admin'],
    });
    expect(roleError(withRoles('billing', 'owner'), ['billing', 'admin'], { mode: 'all', hierarchy: H })).toBeNull();
    expect(roleError(withRoles(), ['billing', 'admin'])?.body.message).toBe('This action requires one of the roles: billing, admin');
  });

  it('a session without roles holds none', () => {
    expect(roleError(withRoles(), ['viewer'], { hierarchy: H })?.body).toMatchObject({ current_roles: [] });
  });

  it('rejects bad requirements when the check is built', () => {
    expect(() => createRoleCheck([])).toThrow(TypeError);
    expect(() => createRoleCheck([''])).toThrow(TypeError);
    expect(() => createRoleCheck(['admin'], { hierarchy: [] })).toThrow(TypeError);
    expect(() => createRoleCheck(['admin'], { hierarchy: ['admin', 'admin'] })).toThrow(/twice/);
    expect(() => createRoleCheck(['admin'], { mode: 'most' as never })).toThrow(TypeError);
  });

  it('hasRole', () => {
    expect(hasRole(withRoles('owner'), 'member', { hierarchy: H })).toBe(true);
    expect(hasRole(withRoles('owner'), 'member')).toBe(false);
  });

  it('property: with a hierarchy, holding role h satisfies required r iff h ranks at or above r', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        (hierarchy, i, j) => {
          const held = hierarchy[i % hierarchy.length]!;
          const required = hierarchy[j % hierarchy.length]!;
          const ok = roleError(withRoles(held), [required], { hierarchy }) === null;
          expect(ok).toBe(hierarchy.indexOf(held) <= hierarchy.indexOf(required));
        },
      ),
    );
  });
});
