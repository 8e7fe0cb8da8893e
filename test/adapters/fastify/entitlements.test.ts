import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe } from 'vitest';
import { describeEntitlementScenarios } from '../entitlement-scenarios.js';
import { fastifyApp, type FastifyFactory } from './fastify-app.js';

describe.each([
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
  ['Fastify 5', fastify5],
])('%s with MongoDB', (_name, fastify) => {
  describeEntitlementScenarios(fastifyApp(fastify));
});
