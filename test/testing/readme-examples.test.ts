/**
 * The README's examples are these files, verbatim: each code block of README.md that follows an
 * `<!-- example: <path> -->` comment must equal the file at <path>, which is type-checked with
 * the rest of the repository and (for `*.test.ts`) run by the suite. So a documented example
 * cannot drift from one that compiles (and passes).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

/**
 * The one difference allowed: the repository depends on `mongodb-memory-server-core` (no
 * download at install), a service installs `mongodb-memory-server`; the API is the same.
 */
const asPublished = (source: string) => source.replaceAll("'mongodb-memory-server-core'", "'mongodb-memory-server'");

const EXAMPLES = [
  'test/testing/readme-global-setup.ts',
  'test/testing/readme-express-example.test.ts',
  'test/testing/readme-fastify-inject-example.test.ts',
  'examples/side-by-side/express.ts',
  'examples/side-by-side/fastify.ts',
  'test/testing/readme-permissions-example.test.ts',
  'test/testing/readme-cookies-example.test.ts',
  'test/testing/readme-m2m-example.test.ts',
  'test/testing/readme-team-header-example.test.ts',
];

function blocksFor(path: string): string[] {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`<!-- example: ${escaped} -->\\n\`\`\`ts\\n([\\s\\S]*?)\`\`\``, 'g');
  return [...readme.matchAll(pattern)].map((m) => m[1] ?? '');
}

describe('README examples', () => {
  it.each(EXAMPLES)('the README block marked %s is that file, verbatim', (path) => {
    const blocks = blocksFor(path);
    expect(blocks, `README.md has exactly one block marked <!-- example: ${path} -->`).toHaveLength(1);
    expect(blocks[0]).toBe(asPublished(readFileSync(`${root}${path}`, 'utf8')));
  });

  it('the README shows the vitest config that runs the global setup', () => {
    expect(readme).toContain("globalSetup: ['./test/global-setup.ts']");
  });
});
