import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^ayz-auth\/express$/, replacement: here('./adapters/express/index.ts') },
      { find: /^ayz-auth\/fastify$/, replacement: here('./adapters/fastify/index.ts') },
      { find: /^ayz-auth\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^ayz-auth\/internal$/, replacement: here('./src/internal/index.ts') },
      { find: /^ayz-auth$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
