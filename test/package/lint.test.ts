import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTarball, root, type PackedTarball } from './pack.js';

// The published package, linted by the tools the ecosystem uses for it, on the tarball that
// `npm publish` would upload (not on the working tree).
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  name: string;
  files: string[];
  sideEffects: boolean;
  license: string;
  repository: { url: string };
  keywords: string[];
  engines: { node: string };
  exports: Record<string, unknown>;
  typesVersions: Record<string, Record<string, string[]>>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

interface Conditions {
  import: { types: string; default: string };
  require: { types: string; default: string };
}
// The subpaths and their files, from the exports map: a new subpath is linted without editing this file.
const SUBPATHS = Object.keys(pkg.exports).filter((k) => k !== './package.json');
const conditions = (subpath: string) => pkg.exports[subpath] as Conditions;
const rel = (target: string) => target.replace(/^\.\//, '');
const JS_FILES = SUBPATHS.flatMap((s) => [conditions(s).import.default, conditions(s).require.default]).map(rel);
const EXPORTED_FILES = SUBPATHS.flatMap((s) => {
  const c = conditions(s);
  return [c.import.types, c.import.default, c.require.types, c.require.default];
}).map(rel);
const bin = (name: string) => path.join(root, 'node_modules/.bin', name);

interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function exec(file: string, args: string[]): Promise<ExecResult> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

let tarball: PackedTarball;
beforeAll(async () => {
  tarball = await packTarball();
}, 60_000);
afterAll(() => tarball?.remove());

describe('the published tarball', () => {
  it('publint --strict: no error, warning or suggestion', async () => {
    const r = await exec(bin('publint'), ['run', tarball.file, '--strict']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('All good!');
  }, 60_000);

  it('attw (strict profile): no problem for any subpath under node10, node16 CJS, node16 ESM and bundler', async () => {
    const r = await exec(bin('attw'), [tarball.file, '--format', 'json']);
    const report = JSON.parse(r.stdout) as {
      problems: Record<string, unknown>;
      analysis: { entrypoints: Record<string, { resolutions: Record<string, unknown> }> };
    };
    expect(report.problems).toEqual({});
    expect(r.code, r.stderr).toBe(0);
    for (const subpath of SUBPATHS) {
      expect(Object.keys(report.analysis.entrypoints[subpath]?.resolutions ?? {}).sort(), subpath).toEqual([
        'bundler',
        'node10',
        'node16-cjs',
        'node16-esm',
      ]);
    }
  }, 120_000);

  it('holds only the build, the manifest and the docs: no tests, examples, sources or source maps', () => {
    expect(SUBPATHS).toEqual(expect.arrayContaining(['.', './express', './fastify', './testing']));
    // The chunks the entries share (one copy of the core's modules for `ayz-auth` and
    // `ayz-auth/internal`): only those an exported file imports.
    const imported = new Set(
      EXPORTED_FILES.flatMap((file) =>
        [...readFileSync(path.join(root, file), 'utf8').matchAll(/(?:from |require\()['"]\.\/([^'"]+)['"]/g)].map((m) => {
          // A declaration file names its chunk by the chunk's JavaScript name.
          const declaration = /\.d\.c?ts$/.exec(file)?.[0];
          return `dist/${declaration === undefined ? m[1] : m[1]!.replace(/\.[cm]?js$/, declaration)}`;
        }),
      ),
    );
    const chunks = [...imported].filter((file) => !EXPORTED_FILES.includes(file));
    expect(chunks.every((file) => /^dist\/[\w-]+\.(mjs|cjs|d\.ts|d\.cts)$/.test(file)), chunks.join(', ')).toBe(true);
    const expected = [...new Set([...EXPORTED_FILES, ...chunks]), 'package.json', 'README.md', 'CHANGELOG.md', 'LICENSE'];
    expect([...tarball.files].sort()).toEqual(expected.sort());
  });
});

describe('package.json', () => {
  it('has the fields of a published library', () => {
    expect(pkg.license).toBe('MIT');
    expect(pkg.repository.url).toMatch(/^git\+https:\/\//);
    expect(pkg.keywords.length).toBeGreaterThan(3);
    // jose 6 is ESM-only: the CommonJS build needs require(esm), unflagged from 20.19 and 22.12.
    expect(pkg.engines.node).toBe('^20.19.0 || >=22.12.0');
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md', 'CHANGELOG.md']));
  });

  it('marks every framework peer optional: a Fastify service does not install Express', () => {
    for (const peer of Object.keys(pkg.peerDependencies)) expect(pkg.peerDependenciesMeta[peer]?.optional, peer).toBe(true);
  });

  it('maps every subpath in typesVersions (TypeScript with node10 resolution) to the CJS declarations', () => {
    for (const subpath of SUBPATHS.filter((s) => s !== '.')) {
      expect(pkg.typesVersions['*']?.[subpath.slice(2)], subpath).toEqual([conditions(subpath).require.types]);
    }
    expect(Object.keys(pkg.typesVersions['*'] ?? {}).length).toBe(SUBPATHS.length - 1);
  });

  it('declares `sideEffects: false` truthfully: no module of dist/ does anything at load but define', () => {
    expect(pkg.sideEffects).toBe(false);
    // What bundlers tree-shake: the ESM files.
    for (const entry of JS_FILES.filter((f) => f.endsWith('.mjs'))) {
      const code = readFileSync(path.join(root, entry), 'utf8');
      // Every top-level statement is a declaration (tsup leaves them at column 0): nothing is
      // called for its effect at load (no listener, global, timer or I/O).
      const statements = code.split('\n').filter((line) => /^[^\s}\])]/.test(line));
      const acting = statements.filter((line) => !/^(import |export |var |let |const |function |async function |class |\/\/|\/\*)/.test(line));
      expect(acting, entry).toEqual([]);
    }
  });

  it('has in `dependencies` exactly what dist/ imports at run time; everything else it imports is a peer', () => {
    const imported = new Set<string>();
    // The entries and the shared chunks they load (tsup `splitting`): a dependency imported
    // only by a chunk (e.g. `cookie`, by the token sources) is still a run-time import.
    const files = new Set(JS_FILES);
    for (const file of files) {
      const code = readFileSync(path.join(root, file), 'utf8');
      for (const m of code.matchAll(/(?:\bfrom\s*|\brequire\s*\(\s*)["'](\.\/chunk-[^"']+)["']/g)) files.add(path.join(path.dirname(file), m[1] as string));
      // `from` only as a keyword (after white space or `}`), never the word inside a string such as `["team", "from"]`.
      for (const m of code.matchAll(/(?:(?:^|[\s}])from\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']([^"'.][^"']*)["']/gm)) {
        const spec = m[1] as string;
        if (isBuiltin(spec)) continue;
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] as string);
        if (name !== pkg.name) imported.add(name);
      }
    }
    const peers = Object.keys(pkg.peerDependencies);
    expect([...imported].filter((n) => !peers.includes(n)).sort()).toEqual(Object.keys(pkg.dependencies).sort());
  });
});
