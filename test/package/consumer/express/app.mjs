// A consumer service in ESM JavaScript, against the installed ayz-auth.
import express from 'express';
import { createAuth, version } from 'ayz-auth';
import { getAuth, requireClaims, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer } from 'ayz-auth/testing';

const issuer = await createTestIssuer();
const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });

const app = express();
app.get('/me', verifyAuth(auth), (req, res) => {
  res.json({ memberId: req.auth.memberId, viaGetAuth: getAuth(req).memberId });
});
app.get('/paid', verifyAuth(auth), requireClaims(['foresight']), (_req, res) => res.json({ paid: true }));

const server = app.listen(0, '127.0.0.1');
await new Promise((resolve, reject) => {
  server.once('listening', resolve);
  server.once('error', reject);
});
const token = issuer.sessionJwt({ memberId: 'member-test-consumer', organizationId: 'organization-test-consumer' });
console.log(JSON.stringify({ ready: true, port: server.address().port, token, version }));

process.stdin.resume();
process.stdin.once('end', () => server.close(() => auth.close().then(() => issuer.close())));
