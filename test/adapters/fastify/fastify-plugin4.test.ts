/**
 * `fastify-plugin` is a dependency (v5, which serves Fastify 4 and 5: it checks no version
 * itself, Fastify checks the plugin's `fastify: '4.x || 5.x'`). The other test files run
 * fastify-plugin 5 on both Fastify majors. A service whose installer hoisted its own
 * fastify-plugin 4 still works: here the adapter's import resolves to fastify-plugin 4 (the
 * `fastify-plugin4` alias), and the whole scenario set runs again on Fastify 4 and 5.
 */
import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe, expect, it, vi } from 'vitest';
import ayzAuth from 'ayz-auth/fastify';
import { describeAdapterScenarios } from '../scenarios.js';
import { fastifyApp, type FastifyFactory } from './fastify-app.js';

const wrapped = vi.hoisted(() => ({ by: [] as string[] }));

vi.mock('fastify-plugin', async () => {
  const { default: fp4 } = await import('fastify-plugin4');
  const { version } = (await import('fastify-plugin4/package.json', { with: { type: 'json' } })).default;
  const fp = (...args: Parameters<typeof fp4>) => {
    wrapped.by.push(version);
    return fp4(...args);
  };
  return { default: fp, fastifyPlugin: fp };
});

it('the plugin was wrapped by fastify-plugin 4', () => {
  expect(wrapped.by).toEqual([expect.stringMatching(/^4\./)]);
  expect((ayzAuth as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toMatchObject({
    name: 'ayz-auth',
    fastify: '4.x || 5.x',
  });
});

describe.each([
  ['Fastify 4 + fastify-plugin 4', fastify4 as unknown as FastifyFactory],
  ['Fastify 5 + fastify-plugin 4', fastify5],
])('%s', (_name, fastify) => {
  describeAdapterScenarios(fastifyApp(fastify));
});
