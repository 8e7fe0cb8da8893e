// A consumer service in CommonJS JavaScript (`require`), against the installed ayz-auth.
'use strict';
const express = require('express');
const { createAuth, version } = require('ayz-auth');
const { getAuth, requireClaims, verifyAuth } = require('ayz-auth/express');
const { createTestIssuer } = require('ayz-auth/testing');

async function main() {
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
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
