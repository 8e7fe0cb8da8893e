// A consumer service in CommonJS JavaScript (`require`), against the installed ayz-auth.
//
// `require('ayz-auth/fastify')` is the module object (named exports + `default`), as for any
// dual ESM/CJS package: take the plugin by name, `const { ayzAuth } = require(...)`, or as
// `require(...).default`. (Passing the whole module object to `register` works too: Fastify
// unwraps a `default` function.)
'use strict';
const Fastify = require('fastify');
const { createAuth, version } = require('ayz-auth');
const ayzAuthModule = require('ayz-auth/fastify');
const { ayzAuth, getAuth } = ayzAuthModule;
const { createTestIssuer } = require('ayz-auth/testing');

async function main() {
  if (ayzAuthModule.default !== ayzAuth) throw new Error("require('ayz-auth/fastify').default is not the plugin");
  const issuer = await createTestIssuer();
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });

  const app = Fastify();
  await app.register(ayzAuth, { auth });
  app.get('/me', { preHandler: app.verifyAuth }, async (request) => ({
    memberId: request.auth.memberId,
    viaGetAuth: getAuth(request).memberId,
  }));
  app.get('/paid', { preHandler: [app.verifyAuth, app.requireClaims(['foresight'])] }, async () => ({ paid: true }));

  await app.listen({ port: 0, host: '127.0.0.1' });
  const token = issuer.sessionJwt({ memberId: 'member-test-consumer', organizationId: 'organization-test-consumer' });
  console.log(JSON.stringify({ ready: true, port: app.server.address().port, token, version }));

  process.stdin.resume();
  process.stdin.once('end', () => app.close().then(() => auth.close()).then(() => issuer.close()));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
