import { defineConfig } from 'tsup';

// Each subpath is its own entry. The adapters and the testing kit import the core by the
// package name, kept external, so one process loads one copy of the core: one AuthError class
// for `instanceof`, one JWKS cache per URL.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
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
  splitting: false,
  treeshake: true,
  external: ['ayz-auth', /^ayz-auth\//, 'express', 'fastify', 'fastify-plugin'],
});
