import express5 from 'express';
import express4 from 'express4';
import { describe } from 'vitest';
import { describeAdapterScenarios } from '../scenarios.js';
import { expressApp, type ExpressFactory } from './express-app.js';

describe.each([
  ['Express 4', express4 as unknown as ExpressFactory],
  ['Express 5', express5],
])('%s', (_name, express) => {
  describeAdapterScenarios(expressApp(express));
});
