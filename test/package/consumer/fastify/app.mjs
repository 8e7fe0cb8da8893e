// A consumer service in ESM JavaScript, against the installed ayz-auth.
import Fastify from 'fastify';
import { createAuth, version } from 'ayz-auth';
import ayzAuth, { getAuth } from 'ayz-auth/fastify';
import { createTestIssuer } from 'ayz-auth/testing';

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
