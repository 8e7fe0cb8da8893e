import type { RequestHeaders } from '../auth-types.js';

/** Where the context's team comes from (`context.team.from`). */
export type TeamSource = 'stored' | 'header' | 'header-or-stored';

/** `context.team` after validation. */
export interface ResolvedTeamSelection {
  readonly from: TeamSource;
  /** Lower-case header name (Node's parsed headers are keyed in lower case). */
  readonly header: string;
}

export { DEFAULT_TEAM_HEADER } from '../config/options-schema.js';

/**
 * What one request asks for: the stored team (`users.current_team_id`, today's behaviour),
 * the team its header names, no team at all (header mode without the header), or a header
 * that cannot name a team (answered 400 `team_header_invalid` once the token is verified).
 */
export type TeamSelection =
  | { readonly kind: 'stored' }
  | { readonly kind: 'none' }
  | { readonly kind: 'header'; readonly teamHex: string }
  | { readonly kind: 'invalid'; readonly reason: string };

export const STORED_TEAM: TeamSelection = Object.freeze({ kind: 'stored' });
const NO_TEAM_SELECTED: TeamSelection = Object.freeze({ kind: 'none' });

const HEX24 = /^[0-9a-fA-F]{24}$/;

function invalid(reason: string): TeamSelection {
  return Object.freeze({ kind: 'invalid', reason });
}

/**
 * The header's value as a selection. Only a single 24-hex value names a team: Node joins
 * repeated headers with ", " (and a direct caller may pass an array), so several values are
 * refused rather than one of them picked; anything longer is refused before any pattern runs.
 * The reasons are fixed texts: nothing of the header reaches a log line or a response.
 */
export function parseTeamHeader(value: string | readonly string[] | undefined): TeamSelection | null {
  if (value === undefined) return null;
  let single: string;
  if (typeof value === 'string') {
    single = value;
  } else {
    if (value.length === 0) return null;
    if (value.length > 1) return invalid('several team header values');
    single = value[0] as string;
  }
  if (single.length !== 24) {
    return invalid(single.includes(',') ? 'several team header values' : 'team header is not a 24-hex id');
  }
  if (!HEX24.test(single)) return invalid('team header is not a 24-hex id');
  return Object.freeze({ kind: 'header', teamHex: single.toLowerCase() });
}

/**
 * The per-request reader for one `Auth`. In `stored` mode (the default) it never reads a
 * header and always answers the same frozen selection, so an `Auth` that does not use the
 * feature does exactly what it did before.
 */
export function teamSelector(settings: ResolvedTeamSelection): (headers: RequestHeaders | undefined) => TeamSelection {
  if (settings.from === 'stored') return () => STORED_TEAM;
  const fallback = settings.from === 'header' ? NO_TEAM_SELECTED : STORED_TEAM;
  const name = settings.header;
  return (headers) => (headers === undefined ? fallback : parseTeamHeader(headers[name]) ?? fallback);
}
