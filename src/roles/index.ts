export { roleError, hasRole, createRoleCheck, type RoleCheck, type RoleCheckOptions, type RoleMode } from './role-check.js';
