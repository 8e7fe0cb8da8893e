import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { root } from './pack.js';

// The size budget of scripts/size-report.mjs (packed and unpacked tarball, packages a production
// install brings), checked on dist/ as `npm test` built it, with a real `npm install --omit=dev`.
const EXIT_REGISTRY_UNREACHABLE = 77;
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

interface SizeReport {
  budget: { packedBytes: number; unpackedBytes: number; dependencies: number; within: boolean; over: string[] };
  tarball: { size: number; unpackedSize: number; files: number };
  install: { dependencies: number; dependenciesByNpmLs: number; direct: { name: string; packages: number }[] };
}

describe('size budget', () => {
  it('the tarball and its production install stay within the budget', async (ctx) => {
    let stdout = '';
    let code = 0;
    try {
      ({ stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'scripts/size-report.mjs'), '--no-build', '--json'], {
        cwd: root,
        encoding: 'utf8',
      }));
    } catch (error) {
      const e = error as { code?: number; stdout?: string; stderr?: string };
      code = typeof e.code === 'number' ? e.code : 1;
      stdout = `${e.stdout ?? ''}${e.stderr ?? ''}`;
    }
    if (code === EXIT_REGISTRY_UNREACHABLE) ctx.skip('size budget skipped: the npm registry is unreachable and the npm cache cannot serve the install');
    const report = JSON.parse(stdout) as SizeReport;
    console.log(
      `size: ${report.tarball.size} B packed, ${report.tarball.unpackedSize} B unpacked, ${report.install.dependencies} dependencies installed`,
    );
    expect(report.budget.over).toEqual([]);
    expect(code).toBe(0);
    expect(report.install.dependencies).toBe(report.install.dependenciesByNpmLs);
    // Exactly the declared runtime dependencies are installed directly (no framework: optional peers).
    expect(report.install.direct.map((d) => d.name).sort()).toEqual(Object.keys(pkg.dependencies).sort());
  }, 120_000);
});
