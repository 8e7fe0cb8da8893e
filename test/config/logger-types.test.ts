import type { FastifyBaseLogger } from 'fastify';
import { fastify } from 'fastify';
import { pino, type BaseLogger, type Logger } from 'pino';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createAuth, type AuthOptions } from 'ayz-auth';
import type { AuthLogger } from '../../src/config/options.js';

const PROJECT = 'project-test-11111111-2222-3333-4444-555555555555';

// Compiled by `tsc`: each of these is accepted as the `logger` option without a cast.
type LoggerOption = NonNullable<AuthOptions['logger']>;
expectTypeOf<Logger>().toExtend<LoggerOption>();
expectTypeOf<BaseLogger & Pick<Logger, 'child'>>().toExtend<LoggerOption>();
expectTypeOf<FastifyBaseLogger>().toExtend<LoggerOption>();
expectTypeOf<LoggerOption>().toEqualTypeOf<AuthLogger>();

describe('the logger option takes the loggers of the service stack', () => {
  it('accepts pino, a pino BaseLogger with child, and Fastify app.log without casts', async () => {
    const silent = pino({ level: 'silent' });
    const base: BaseLogger & Pick<Logger, 'child'> = silent;
    const app = fastify({ logger: { level: 'silent' } });
    for (const logger of [silent, base, app.log]) {
      const auth = createAuth({ stytch: { projectId: PROJECT }, logger });
      expect(auth.logger).toBeDefined();
      await auth.close();
    }
    await app.close();
  });

  it('accepts Fastify’s no-op logger (logger: false) and logs through it', async () => {
    const app = fastify();
    const auth = createAuth({ stytch: { projectId: PROJECT }, logger: app.log });
    expect(() => auth.logger.warn({ a: 1 }, 'no-op')).not.toThrow();
    await auth.close();
    await app.close();
  });
});
