/**
 * The smallest real service for the token tests: an Express 5 app on loopback whose `/me`
 * answers the verified context, on a Node server whose header limit can be raised (to reach
 * the library's own 16 KB cap rather than Node's).
 */
import { createServer, type Server } from 'node:http';
import express from 'express';
import type { Auth } from 'ayz-auth';
import { getAuth, verifyAuth } from 'ayz-auth/express';
import { closeServer, listen } from '../adapters/http-client.js';

export interface MeApp {
  /** `http://127.0.0.1:<port>/me` */
  readonly meUrl: string;
  close(): Promise<void>;
}

export async function startMeApp(auth: Auth, options: { maxHeaderSize?: number } = {}): Promise<MeApp> {
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    res.json(getAuth(req));
  });
  const server: Server = createServer(options.maxHeaderSize === undefined ? {} : { maxHeaderSize: options.maxHeaderSize }, app);
  const base = await listen(server);
  return { meUrl: `${base}/me`, close: () => closeServer(server) };
}
