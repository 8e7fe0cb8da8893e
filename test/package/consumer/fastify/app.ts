// A consumer service in TypeScript. The same source is compiled (strict) as node16 ESM (.mts),
// node16 CJS (.cts), bundler and node10, against the installed ayz-auth, then run.
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { createAuth, version, type AuthContext } from 'ayz-auth';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import { createTestIssuer } from 'ayz-auth/testing';

async function main(): Promise<void> {
  const issuer = await createTestIssuer();
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });

  const app = Fastify();
  await app.register(ayzAuth, { auth });
  app.get('/me', { preHandler: app.verifyAuth }, async (request) => {
    // Declaration merging of `request.auth` on FastifyRequest, from the installed types.
    const ctx: AuthContext | null = request.auth;
    // @ts-expect-error `request.auth` is `AuthContext | null` under strict, never `any`.
    const unchecked: string = request.auth.memberId;
    const viaGetAuth: string = getAuth(request).memberId;
    request.authLog?.debug('consumer route');
    return { memberId: ctx?.memberId ?? null, viaGetAuth, unchecked };
  });
  app.get('/paid', { preHandler: [app.verifyAuth, app.requireClaims(['foresight'])] }, async () => ({ paid: true }));

  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const token = issuer.sessionJwt({ memberId: 'member-test-consumer', organizationId: 'organization-test-consumer' });
  console.log(JSON.stringify({ ready: true, port, token, version }));

  process.stdin.resume();
  process.stdin.once('end', () => {
    void app
      .close()
      .then(() => auth.close())
      .then(() => issuer.close());
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
