/**
 * vitest globalSetup: one MongoDB for the whole run (tier chosen by the harness, which
 * prints it), handed to test files through `inject('mongoUri')`, `inject('mongoTier')`
 * and `inject('mongoCapabilities')`. Test files isolate themselves by database name
 * (see tools/mongo-wire-server/connect.ts).
 */
import type { TestProject } from 'vitest/node';
import { startTestMongo, type TestMongo } from '../../tools/mongo-wire-server/harness.js';

let mongo: TestMongo | undefined;

export async function setup(project: TestProject): Promise<void> {
  mongo = await startTestMongo();
  project.provide('mongoUri', mongo.uri);
  project.provide('mongoTier', mongo.tier);
  project.provide('mongoCapabilities', mongo.capabilities);
}

export async function teardown(): Promise<void> {
  await mongo?.stop();
  mongo = undefined;
}
