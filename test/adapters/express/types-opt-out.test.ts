/**
 * The opt-out of the global `req.auth` declaration, for services that use another library
 * declaring `req.auth` (express-oauth2-jwt-bearer). Each fixture is compiled on its own by
 * `tsc -p`, with `skipLibCheck: false` (a clash is reported inside the framework's `.d.ts`):
 * the opt-out must compile, and its control (the same app without the opt-out) must not.
 * The fixtures live in a dot-directory so the repository's own `tsc -p tsconfig.json` (whose
 * wildcards skip dot-names) never sees the opt-out, which would switch `req.auth` off for the
 * other tests.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const tscBin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const fixture = (name: string) => fileURLToPath(new URL(`./.type-fixtures/${name}/tsconfig.json`, import.meta.url));

function compile(name: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [tscBin, '-p', fixture(name)], { timeout: 110_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

describe('req.auth opt-out (AyzAuthTypeOptions.requestAuth: false)', () => {
  it('with the opt-out, a conflicting req.auth of another library compiles; getAuth stays typed', async () => {
    const { code, output } = await compile('opt-out');
    expect(output).toBe('');
    expect(code).toBe(0);
  }, 120_000);

  it('without it, the same app does not compile: the two req.auth declarations clash', async () => {
    const { code, output } = await compile('clash');
    expect(code).not.toBe(0);
    expect(output).toMatch(/TS2320[^\n]*cannot simultaneously extend/);
    expect(output).toContain("Named property 'auth'");
  }, 120_000);
});
