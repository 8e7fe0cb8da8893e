/**
 * `npm run example [express|fastify]`: one of the example services on an embedded default — a
 * local Stytch issuer from `ayz-auth/testing` and MongoDB from the test harness (MONGODB_URI, else
 * mongodb-memory-server, else the loopback wire server) seeded with a demo dataset — then prints
 * curl lines to paste. PORT picks the port (default 3000). Ctrl-C stops everything.
 */
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { createAuth } from 'ayz-auth';
import { createTestIssuer } from 'ayz-auth/testing';
import { startTestMongo } from '../test/support/mongo/harness.js';
import { seedDemoData } from './demo-data.js';
import { createExpressApp } from './express-app/app.js';
import { createFastifyApp } from './fastify-app/app.js';

const framework = (process.argv[2] ?? 'express').toLowerCase();
if (framework !== 'express' && framework !== 'fastify') {
  console.error('usage: npm run example -- [express|fastify]');
  process.exit(2);
}
const port = Number(process.env.PORT ?? 3000);

const issuer = await createTestIssuer();
const mongo = await startTestMongo();
const client = new MongoClient(mongo.uri);
const db = client.db('ayz_auth_demo');
const demo = await seedDemoData(db);
const auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: process.env.STYTCH_LOG_LEVEL ?? 'info' });

let close: () => Promise<void>;
let address: string;
if (framework === 'express') {
  const server = createExpressApp(auth).listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const app = await createFastifyApp(auth);
  address = await app.listen({ port, host: '127.0.0.1' });
  close = () => app.close();
}

const hours = 8 * 3600;
const token = (m: { memberId: string; stytchOrgId: string }) =>
  issuer.sessionJwt({ memberId: m.memberId, organizationId: m.stytchOrgId, expiresInSec: hours });
const curl = (path: string, bearer: string) => `curl -s -H 'Authorization: Bearer ${bearer}' ${address}${path}`;

console.log(`
ayz-auth example (${framework}) listening on ${address}
Stytch issuer: ${issuer.baseUrl}   MongoDB: ${mongo.description}
Tokens below are valid for 8 hours.

# ${demo.alice.label}
${curl('/me', token(demo.alice))}
${curl('/team/projects', token(demo.alice))}

# ${demo.bob.label} (watch the WARN in this terminal)
${curl('/me', token(demo.bob))}

# ${demo.carol.label} (WARN "MULTI-ORG FIX", INFO "Found valid team", then written back)
${curl('/team/projects', token(demo.carol))}

# 403 entitlement_missing: Globex has no 'foresight'
${curl('/foresight', token(demo.bob))}
# …while Acme has it
${curl('/foresight', token(demo.alice))}

# 401 for a bad token (wrong signing key), and for no token at all
${curl('/me', issuer.wrongKeySessionJwt({ memberId: demo.alice.memberId, organizationId: demo.alice.stytchOrgId }))}
curl -s -i ${address}/me
`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await close();
  await auth.close();
  await client.close();
  await mongo.stop();
  await issuer.close();
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
