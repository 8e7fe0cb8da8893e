/**
 * One HTTP server of the benchmark (run pinned to its own core): Express or Fastify, of major 4
 * or 5, with every variant of the issue on its own route, all with the same body:
 *
 *   /bare     no auth
 *   /jose     the hand-written jose + memo baseline (bench/jose-memo.ts)
 *   /auth     verifyAuth, context fully cached (`context.cacheTeam: true`, TTLs of an hour)
 *   /ent      verifyAuth + requireEntitlement('reports'), fully cached
 *   /default  verifyAuth, default context (the team read on every request)
 *   /watched  verifyAuth, `context.watch: true` (team cached while the change stream is open)
 *   /many     as /auth, over a database of its own (BENCH_MANY_DB) where many members are seeded:
 *             loaded with their tokens in turn (their number leaves the other routes' reads alone)
 *
 * With BENCH_HOOK_PARTS=1, two diagnostic routes show what parts of a hook cost in a real
 * server, where they run colder than in a loop: /noop-hook only sets the request's auth to a
 * fixed object, /sha256-hook only hashes the bearer token's signature with node:crypto.
 *
 * One `Auth` per context mode, all on one MongoClient whose database commands are counted by
 * the driver's command monitoring; the parent asks over IPC. The change stream's own commands
 * (its `aggregate` and the idle heartbeat `getMore`s) are counted apart: they are per process,
 * not per request.
 *
 * env: BENCH_FRAMEWORK (express|fastify), BENCH_MAJOR (4|5), BENCH_MONGO_URI, BENCH_DB, BENCH_MANY_DB (optional),
 * BENCH_STYTCH (JSON authOptions), BENCH_JOSE (JSON {jwksUrl, issuer, audience} of the same issuer)
 */
import type { AddressInfo } from 'node:net';
import type { Request, Response } from 'express';
import { createAuth, type Auth } from 'ayz-auth';
import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { createJoseMemo, joseMemoExpress, joseMemoFastify } from './jose-memo.js';
import { WORK_COMMANDS } from './support.js';
import { hash } from 'node:crypto';

const framework = process.env['BENCH_FRAMEWORK'];
const major = process.env['BENCH_MAJOR'] ?? '5';
const uri = process.env['BENCH_MONGO_URI'];
const dbName = process.env['BENCH_DB'];
const manyDbName = process.env['BENCH_MANY_DB'];
const stytch = JSON.parse(process.env['BENCH_STYTCH'] ?? 'null');
const joseOptions = JSON.parse(process.env['BENCH_JOSE'] ?? 'null');
if (!uri || !dbName || !stytch || !joseOptions || (framework !== 'express' && framework !== 'fastify') || (major !== '4' && major !== '5')) {
  throw new Error('bench/http-server.ts is started by npm run bench');
}

/** The change stream's own traffic: `aggregate` with `$changeStream` and the getMores on its cursor. */
function isStreamCommand(e: CommandStartedEvent): boolean {
  if (e.commandName === 'getMore') return e.command['collection'] === '$cmd.aggregate';
  if (e.commandName === 'aggregate') {
    const first: unknown = (e.command['pipeline'] as unknown[] | undefined)?.[0];
    return typeof first === 'object' && first !== null && '$changeStream' in first;
  }
  return false;
}

// Counted, not kept: a default-mode request sends one command.
const client = new MongoClient(uri, { monitorCommands: true, serverSelectionTimeoutMS: 10_000 });
const counts = new Map<string, number>();
let streamCommands = 0;
client.on('commandStarted', (e) => {
  if (!WORK_COMMANDS.has(e.commandName) || (e.databaseName !== dbName && e.databaseName !== manyDbName)) return;
  if (isStreamCommand(e)) {
    streamCommands++;
    return;
  }
  const kind = `${e.commandName} ${String(e.command[e.commandName])}`;
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
});
await client.connect();
const db = client.db(dbName);
// Fully cached: TTLs of an hour, so that no caller's entries expire during the run (the many
// callers' would otherwise all be reloaded at once, 30 s after the warm-up).
const cachedContext = { cacheTeam: true, directoryTtlSec: 3600, teamTtlSec: 3600 };
const auths = {
  cached: createAuth({ stytch, mongo: { db }, logLevel: 'warn', context: cachedContext }),
  ...(manyDbName ? { many: createAuth({ stytch, mongo: { db: client.db(manyDbName) }, logLevel: 'warn', context: cachedContext }) } : {}),
  default: createAuth({ stytch, mongo: { db }, logLevel: 'warn' }),
  watched: createAuth({ stytch, mongo: { db }, logLevel: 'warn', context: { watch: true } }),
} satisfies Record<string, Auth>;
const joseMemo = createJoseMemo(joseOptions);
const hookParts = process.env['BENCH_HOOK_PARTS'] === '1';
const fixedAuth = Object.freeze({ memberId: 'fixed' });
/** The signature segment's SHA-256 of a `Bearer` header: the one crypto call of a warm request. */
const signatureHash = (header: string | string[] | undefined): string => {
  const token = typeof header === 'string' ? header.slice(7) : '';
  return hash('sha256', token.slice(token.lastIndexOf('.') + 1), 'base64url');
};
const body = { ok: true };
let close: () => Promise<void>;
let port: number;

if (framework === 'express') {
  const { default: express } = (major === '4' ? await import('express4') : await import('express')) as { default: typeof import('express') };
  const { verifyAuth, requireEntitlement } = await import('ayz-auth/express');
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const handler = (_req: Request, res: Response) => void res.json(body);
  app.get('/bare', handler);
  app.get('/jose', joseMemoExpress(joseMemo), handler);
  app.get('/auth', verifyAuth(auths.cached), handler);
  app.get('/ent', verifyAuth(auths.cached), requireEntitlement('reports'), handler);
  app.get('/default', verifyAuth(auths.default), handler);
  app.get('/watched', verifyAuth(auths.watched), handler);
  if (auths.many) app.get('/many', verifyAuth(auths.many), handler);
  if (hookParts) {
    const slot = (req: Request, value: unknown) => void ((req as unknown as { benchAuth: unknown }).benchAuth = value);
    app.get('/noop-hook', (req: Request, _res: Response, next: () => void) => (slot(req, fixedAuth), next()), handler);
    app.get('/sha256-hook', (req: Request, _res: Response, next: () => void) => (slot(req, signatureHash(req.headers.authorization) === '' ? null : fixedAuth), next()), handler);
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  port = (server.address() as AddressInfo).port;
  close = () => new Promise((resolve) => server.close(() => resolve()));
} else {
  const { default: fastify } = (major === '4' ? await import('fastify4') : await import('fastify')) as { default: typeof import('fastify').default };
  const { default: ayzAuth, requireEntitlement } = await import('ayz-auth/fastify');
  const app = fastify({ logger: false });
  const handler = async () => body;
  app.get('/bare', handler);
  app.get('/jose', { onRequest: joseMemoFastify(joseMemo) }, handler);
  // One plugin registration per Auth, each in its own encapsulated scope (the decorators of one
  // do not clash with the others').
  const scoped = (auth: Auth, routes: (scope: typeof app) => void) =>
    app.register(async (scope) => {
      await scope.register(ayzAuth, { auth });
      routes(scope as unknown as typeof app);
    });
  await scoped(auths.cached, (s) => {
    s.get('/auth', { onRequest: s.verifyAuth }, handler);
    s.get('/ent', { onRequest: [s.verifyAuth, requireEntitlement('reports')] }, handler);
  });
  await scoped(auths.default, (s) => void s.get('/default', { onRequest: s.verifyAuth }, handler));
  await scoped(auths.watched, (s) => void s.get('/watched', { onRequest: s.verifyAuth }, handler));
  if (auths.many) await scoped(auths.many, (s) => void s.get('/many', { onRequest: s.verifyAuth }, handler));
  if (hookParts) {
    // In a scope of the plugin, like /auth: the same request class.
    await scoped(auths.cached, (s) => {
      s.get('/noop-hook', { onRequest: (request, _reply, done) => ((request.auth = fixedAuth as never), done()) }, handler);
      s.get('/sha256-hook', { onRequest: (request, _reply, done) => ((request.auth = (signatureHash(request.headers.authorization) === '' ? null : fixedAuth) as never), done()) }, handler);
    });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;
  close = () => app.close();
}

// The server's own CPU time between 'reset' and 'commands' (user + system): the parent divides
// it by the requests served, a figure steadier than requests/s on a shared machine.
let cpuAtReset = process.cpuUsage();

process.on('message', (message: unknown) => {
  if (process.env['BENCH_DEBUG']) process.stderr.write(`[http-server] message ${JSON.stringify(message)}\n`);
  if (message === 'commands') {
    let commands = 0;
    for (const n of counts.values()) commands += n;
    const cpu = process.cpuUsage(cpuAtReset);
    process.send?.({ commands, byName: Object.fromEntries(counts), streamCommands, cpuMicros: cpu.user + cpu.system });
  } else if (message === 'reset') {
    counts.clear();
    streamCommands = 0;
    cpuAtReset = process.cpuUsage();
    process.send?.({ reset: true });
  } else if (message === 'stop') {
    void close()
      .then(() => Promise.all(Object.values(auths).map((a) => a.close())))
      .then(() => client.close())
      .finally(() => process.exit(0));
  }
});
process.on('disconnect', () => {
  process.stderr.write('[http-server] IPC channel closed: exiting\n');
  process.exit(0);
});
process.send?.({ ready: true, port });
