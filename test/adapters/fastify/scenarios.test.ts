import fastify5 from 'fastify';
import fastify4 from 'fastify4';
import { describe } from 'vitest';
import { describeAdapterScenarios } from '../scenarios.js';
import { fastifyApp, type FastifyFactory } from './fastify-app.js';

describe.each([
  ['Fastify 4', fastify4 as unknown as FastifyFactory],
  ['Fastify 5', fastify5],
])('%s', (_name, fastify) => {
  describeAdapterScenarios(fastifyApp(fastify));
});
