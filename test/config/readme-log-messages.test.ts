/**
 * The README's "Logs to monitor" table lists every line of the log-message table, at its level
 * and in its exact wording (with the placeholders the README shows). A wording changed in
 * `src/log-messages.ts` without the README — or a new operator-facing line left out — fails here.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { LOG_MESSAGES } from '../../src/log-messages.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('\n### The lines\n');
const end = readme.indexOf('\n## ', start);
const rows = readme
  .slice(start, end)
  .split('\n')
  .filter((l) => /^\| (DEBUG|INFO|WARN|ERROR) \|/.test(l))
  .map((l) => {
    const [level = '', message = ''] = l.slice(1).split(' | ');
    // the backticked strings of the message cell (a double-backticked one may hold a backtick)
    const texts = [...message.matchAll(/``\s(.+?)\s``|`([^`]+)`/g)].map((m) => (m[1] ?? m[2]) as string);
    return { level: level.trim().toLowerCase(), texts };
  });

it('the README table of log lines is parsed', () => {
  expect(start).toBeGreaterThan(-1);
  expect(rows.length).toBeGreaterThanOrEqual(Object.keys(LOG_MESSAGES).length);
});

it.each(Object.entries(LOG_MESSAGES))('the README lists %s at its level, word for word', (_key, entry) => {
  const text = (entry.text as (...p: readonly string[]) => string)(...entry.example);
  const listed = rows.filter((r) => r.texts.includes(text)).map((r) => r.level);
  expect({ text, levels: listed }).toEqual({ text, levels: [entry.level] });
});
