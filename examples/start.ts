/**
 * `npm run example [express|fastify]`: one of the example services on an embedded default — a
 * local Stytch issuer from `ayz-auth/testing` and MongoDB from the test harness (MONGODB_URI, else
 * mongodb-memory-server, else the loopback wire server) seeded with a demo dataset — then prints
 * curl lines to paste. PORT picks the port (default 3000; 0 = any free port). Ctrl-C stops everything.
 */
import type { AddressInfo } from 'node:net';
import { MongoClient } from 'mongodb';
import { createAuth } from 'ayz-auth';
import { createTestIssuer } from 'ayz-auth/testing';
import { startTestMongo } from '../tools/mongo-wire-server/harness.js';
import { seedDemoData } from './demo-data.js';
import { createExpressApp } from './express-app/app.js';
import { createFastifyApp } from './fastify-app/app.js';

const framework = (process.argv[2] ?? 'express').toLowerCase();
if (framework !== 'express' && framework !== 'fastify') {
  console.error('usage: npm run example -- [express|fastify]');
  process.exit(2);
}
const portText = process.env.PORT?.trim() || '3000';
const port = Number(portText);
if (!/^\d+$/.test(portText) || port > 65535) {
  console.error(`PORT must be a port number (0-65535), got '${portText}'`);
  process.exit(2);
}

const issuer = await createTestIssuer();
const mongo = await startTestMongo();
const client = new MongoClient(mongo.uri);
const db = client.db('ayz_auth_demo');
const demo = await seedDemoData(db);
const auth = createAuth({ stytch: issuer.authOptions, mongo: { db }, logLevel: process.env.STYTCH_LOG_LEVEL ?? 'info' });

let close: () => Promise<void>;
let address: string;
if (framework === 'express') {
  const server = createExpressApp(auth, db).listen(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  address = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const app = await createFastifyApp(auth, db);
  address = await app.listen({ port, host: '127.0.0.1' });
  close = () => app.close();
}

const hours = 8 * 3600;
const token = (m: { memberId: string; stytchOrgId: string }) =>
  issuer.sessionJwt({ memberId: m.memberId, organizationId: m.stytchOrgId, expiresInSec: hours });
const tokens = {
  ALICE: token(demo.alice),
  BOB: token(demo.bob),
  CAROL: token(demo.carol),
  DAVE: token(demo.dave),
  FORGED: issuer.wrongKeySessionJwt({ memberId: demo.alice.memberId, organizationId: demo.alice.stytchOrgId, expiresInSec: hours }),
};
// -w prints the HTTP status on its own line after the body.
const curl = (path: string, name?: keyof typeof tokens) =>
  `curl -s -w '\\n%{http_code}\\n'${name ? ` -H "Authorization: Bearer $${name}"` : ''} ${address}${path}`;

console.log(`
ayz-auth example (${framework}) listening on ${address}
Stytch issuer: ${issuer.baseUrl}   MongoDB: ${mongo.description}

# Paste these into another terminal (session JWTs valid for 8 hours):
${Object.entries(tokens)
  .map(([name, value]) => `export ${name}='${value}'`)
  .join('\n')}

# 200 {"ok":true}: readiness (signing keys loaded, MongoDB answering)
${curl('/healthz')}

# ${demo.alice.label}: her context, then only her team's projects (${demo.projectsByTeam.research.join(', ')})
${curl('/me', 'ALICE')}
${curl('/team/projects', 'ALICE')}

# ${demo.bob.label} (watch the WARN in this terminal)
${curl('/me', 'BOB')}

# ${demo.carol.label} (WARN "MULTI-ORG FIX", INFO "Found valid team", then written back): Ops's projects only
${curl('/team/projects', 'CAROL')}

# 400 team_required: Dave is in no team
${curl('/team/projects', 'DAVE')}

# 403 entitlement_missing: Globex has no 'foresight'
${curl('/foresight', 'BOB')}
# …while Acme has it
${curl('/foresight', 'ALICE')}

# 401 token_invalid for a token signed with the wrong key, and 401 token_missing without one
${curl('/me', 'FORGED')}
${curl('/me')}

# Ctrl-C stops the service.
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
