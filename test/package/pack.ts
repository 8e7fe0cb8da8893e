import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export interface PackedTarball {
  /** Absolute path of the .tgz. */
  file: string;
  size: number;
  unpackedSize: number;
  files: string[];
  remove(): void;
}

/**
 * `npm pack` of dist/ as it is: `npm test` has just built it (pretest). `--ignore-scripts`, so
 * packing never rebuilds dist/ under the feet of the test files that read it concurrently.
 */
export async function packTarball(): Promise<PackedTarball> {
  if (!existsSync(path.join(root, 'dist/index.mjs'))) {
    throw new Error('dist/ is missing: run `npm run build` first (`npm test` does it)');
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ayz-auth-pack-'));
  const { stdout } = await promisify(execFile)('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], {
    cwd: root,
    encoding: 'utf8',
  });
  const [info] = JSON.parse(stdout) as [{ filename: string; size: number; unpackedSize: number; files: { path: string }[] }];
  return {
    file: path.join(dir, info.filename),
    size: info.size,
    unpackedSize: info.unpackedSize,
    files: info.files.map((f) => f.path).sort(),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
