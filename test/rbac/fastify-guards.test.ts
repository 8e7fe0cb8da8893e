import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe } from 'vitest';
import { fastifyGuardApp, type FastifyFactory } from './guard-apps.js';
import { describeGuardScenarios } from './guard-scenarios.js';

describe.each([
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
  ['Fastify 5', fastify5],
])('%s: requirePermission and step-up by factor age', (_name, fastify) => {
  describeGuardScenarios(fastifyGuardApp(fastify));
});
