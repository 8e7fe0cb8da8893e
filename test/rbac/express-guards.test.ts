import express5 from 'express';
import express4 from 'express4';
import { describe } from 'vitest';
import { expressGuardApp, type ExpressFactory } from './guard-apps.js';
import { describeGuardScenarios } from './guard-scenarios.js';

describe.each([
  ['Express 4', express4 as unknown as ExpressFactory],
  ['Express 5', express5],
])('%s: requirePermission and step-up by factor age', (_name, express) => {
  describeGuardScenarios(expressGuardApp(express));
});
