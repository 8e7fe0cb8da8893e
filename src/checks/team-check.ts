import type { AuthContext } from '../auth-context.js';
import { AuthError } from '../errors.js';

/** 400 `team_required` when the caller has no current team in its organization; else null. */
export function teamError(ctx: AuthContext): AuthError | null {
  return ctx.currentTeamId === null ? new AuthError('team_required') : null;
}
