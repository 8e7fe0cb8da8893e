// A consumer service in TypeScript. The same source is compiled (strict) as node16 ESM (.mts),
// node16 CJS (.cts), bundler and node10, against the installed ayz-auth, then run.
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createAuth, version, type AuthContext } from 'ayz-auth';
import { getAuth, requireClaims, verifyAuth } from 'ayz-auth/express';
import { createTestIssuer } from 'ayz-auth/testing';

async function main(): Promise<void> {
  const issuer = await createTestIssuer();
  const auth = createAuth({ stytch: issuer.authOptions, logLevel: 'silent' });

  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    // Declaration merging of `req.auth` on express-serve-static-core, from the installed types.
    const ctx: AuthContext | null = req.auth;
    // @ts-expect-error `req.auth` is `AuthContext | null` under strict, never `any`.
    const unchecked: string = req.auth.memberId;
    const viaGetAuth: string = getAuth(req).memberId;
    req.authLog?.debug('consumer route');
    res.json({ memberId: ctx?.memberId ?? null, viaGetAuth, unchecked });
  });
  app.get('/paid', verifyAuth(auth), requireClaims(['foresight']), (_req, res) => {
    res.json({ paid: true });
  });

  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const token = issuer.sessionJwt({ memberId: 'member-test-consumer', organizationId: 'organization-test-consumer' });
  console.log(JSON.stringify({ ready: true, port, token, version }));

  process.stdin.resume();
  process.stdin.once('end', () => {
    server.close(() => {
      void auth.close().then(() => issuer.close());
    });
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
