/**
 * Values test/support/global-setup.ts provides to every test file (vitest `inject`).
 */
import type { MongoCapabilities } from './harness.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Connection string of the run's MongoDB (any tier), without a database name. */
    mongoUri: string;
    /** 1 = MONGODB_URI, 2 = mongodb-memory-server, 3 = loopback wire server. */
    mongoTier: number;
    mongoCapabilities: MongoCapabilities;
  }
}

export {};
