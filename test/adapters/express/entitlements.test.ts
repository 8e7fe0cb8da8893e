import express5 from 'express';
import express4 from 'express4';
import { describe } from 'vitest';
import { describeEntitlementScenarios } from '../entitlement-scenarios.js';
import { expressApp, type ExpressFactory } from './express-app.js';

describe.each([
  ['Express 4', express4 as unknown as ExpressFactory],
  ['Express 5', express5],
])('%s with MongoDB', (_name, express) => {
  describeEntitlementScenarios(expressApp(express));
});
