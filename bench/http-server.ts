/**
 * One HTTP server of the benchmark (run pinned to its own core): `express` or `fastify`, with
 * the context from MongoDB in `default` mode (team fresh) or `cached` mode (cacheTeam: true).
 * Four routes, same body: `/bare` (no auth), `/jose` (the hand-written jose + memo baseline of
 * bench/jose-memo.ts), `/auth` (verifyAuth), `/ent` (verifyAuth + requireEntitlement('reports')).
 * Counts its database commands; the parent asks over IPC.
 *
 * env: BENCH_FRAMEWORK, BENCH_MODE, BENCH_MONGO_URI, BENCH_DB, BENCH_STYTCH (JSON authOptions),
 * BENCH_JOSE (JSON {jwksUrl, issuer, audience} of the same issuer)
 */
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import { createAuth } from 'ayz-auth';
import { MongoClient } from 'mongodb';
import { createJoseMemo, joseMemoExpress, joseMemoFastify } from './jose-memo.js';
import { WORK_COMMANDS } from './support.js';

const framework = process.env['BENCH_FRAMEWORK'];
const mode = process.env['BENCH_MODE'];
const uri = process.env['BENCH_MONGO_URI'];
const dbName = process.env['BENCH_DB'];
const stytch = JSON.parse(process.env['BENCH_STYTCH'] ?? 'null');
const joseOptions = JSON.parse(process.env['BENCH_JOSE'] ?? 'null');
if (!uri || !dbName || !stytch || !joseOptions || (framework !== 'express' && framework !== 'fastify') || (mode !== 'default' && mode !== 'cached')) {
  throw new Error('bench/http-server.ts is started by npm run bench');
}

// Counted, not kept: a default-mode run sends one command per authenticated request.
const client = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 10_000 });
const counts = new Map<string, number>();
client.on('commandStarted', (e) => {
  if (!WORK_COMMANDS.has(e.commandName) || e.databaseName !== dbName) return;
  const kind = `${e.commandName} ${String(e.command[e.commandName])}`;
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
});
await client.connect();
const db = client.db(dbName);
const auth = createAuth({ stytch, mongo: { db }, logLevel: 'warn', context: { cacheTeam: mode === 'cached' } });
const joseMemo = createJoseMemo(joseOptions);
const body = { ok: true };
let close: () => Promise<void>;
let port: number;

if (framework === 'express') {
  const { default: express } = await import('express');
  const { verifyAuth, requireEntitlement } = await import('ayz-auth/express');
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const handler = (_req: Request, res: Response) => void res.json(body);
  app.get('/bare', handler);
  app.get('/jose', joseMemoExpress(joseMemo), handler);
  app.get('/auth', verifyAuth(auth), handler);
  app.get('/ent', verifyAuth(auth), requireEntitlement('reports'), handler);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const { default: fastify } = await import('fastify');
  const { default: ayzAuth } = await import('ayz-auth/fastify');
  const app = fastify({ logger: false });
  await app.register(ayzAuth, { auth });
  const handler = async () => body;
  app.get('/bare', handler);
  app.get('/jose', { onRequest: joseMemoFastify(joseMemo) }, handler);
  app.get('/auth', { onRequest: app.verifyAuth }, handler);
  app.get('/ent', { onRequest: [app.verifyAuth, app.requireEntitlement('reports')] }, handler);
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  close = () => app.close();
}

process.on('message', (message: unknown) => {
  if (process.env['BENCH_DEBUG']) process.stderr.write(`[http-server] message ${JSON.stringify(message)}\n`);
  if (message === 'commands') {
    let commands = 0;
    for (const n of counts.values()) commands += n;
    process.send?.({ commands, byName: Object.fromEntries(counts) });
  } else if (message === 'reset') {
    counts.clear();
    process.send?.({ reset: true });
  } else if (message === 'stop') {
    void close()
      .then(() => auth.close())
      .then(() => client.close())
      .finally(() => process.exit(0));
  }
});
process.on('disconnect', () => {
  process.stderr.write('[http-server] IPC channel closed: exiting\n');
  process.exit(0);
});
process.send?.({ ready: true, port });
