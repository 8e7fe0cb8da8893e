import { defineConfig } from 'tsup';

// Each subpath is its own entry. The adapters import the core by the package name (`ayz-auth`,
// `ayz-auth/internal`), kept external, so one process loads one copy of the core: one
// AuthError class for `instanceof`, one record of the contexts made without MongoDB. The core's
// two entries (`index`, `internal`) share their modules through split chunks (`chunk-*`) for
// the same reason.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    internal: 'src/internal/index.ts',
    express: 'adapters/express/index.ts',
    fastify: 'adapters/fastify/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
  dts: true,
  clean: true,
  sourcemap: false,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  external: ['ayz-auth', /^ayz-auth\//, 'express', 'fastify', 'fastify-plugin'],
});
