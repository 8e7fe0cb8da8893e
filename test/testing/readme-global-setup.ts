import type { TestProject } from 'vitest/node';
import { MongoMemoryServer } from 'mongodb-memory-server-core';

// Types `inject('mongoUri')` in the test files.
declare module 'vitest' {
  export interface ProvidedContext {
    mongoUri: string;
  }
}

let mongod: MongoMemoryServer | undefined;

// One MongoDB for the whole run: yours when MONGODB_URI is set (e.g. a CI service), else a
// private mongod. Each test file then works in a database of its own.
export async function setup(project: TestProject): Promise<void> {
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    mongod = await MongoMemoryServer.create();
    uri = mongod.getUri();
  }
  project.provide('mongoUri', uri);
}

export async function teardown(): Promise<void> {
  await mongod?.stop();
}
