/**
 * "Did you mean …?" for a misspelled option key. Levenshtein distance over lower-cased names,
 * so `writeback` finds `writeBackTeam` and `secrt` finds `secret`; a name that merely extends
 * a known one (`maxTokenAge` → `maxTokenAgeSec`) also counts as close.
 */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** The known name closest to `unknown`, and whether it is close enough to be a likely typo. */
export function closestName(unknown: string, known: readonly string[]): { name: string; likely: boolean } | null {
  const u = unknown.toLowerCase();
  let best: { name: string; score: number } | null = null;
  for (const name of known) {
    const k = name.toLowerCase();
    const score = k.startsWith(u) || u.startsWith(k) ? Math.min(1, distance(u, k)) : distance(u, k);
    if (best === null || score < best.score) best = { name, score };
  }
  if (best === null) return null;
  // Up to a third of the longer name may differ (at least 2 edits): beyond that the "closest"
  // name is a guess, and the message lists the known names instead.
  const limit = Math.max(2, Math.ceil(Math.max(u.length, best.name.length) / 3));
  return { name: best.name, likely: best.score <= limit };
}
