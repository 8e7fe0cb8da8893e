/**
 * A service that uses another library declaring `req.auth` (as express-oauth2-jwt-bearer does)
 * switches ayz-auth's declaration off and reads the context with `getAuth(req)`.
 */
import express from 'express';
import type { Request } from 'express';
import type { AuthContext } from 'ayz-auth';
import { getAuth, peekAuth, verifyAuth, type Auth } from 'ayz-auth/express';

declare module 'ayz-auth/express' {
  interface AyzAuthTypeOptions {
    requestAuth: false;
  }
}

interface OtherAuthResult {
  payload: Record<string, unknown>;
  token: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      auth?: OtherAuthResult;
    }
  }
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const reqAuthIsTheOtherLibrarys: Equal<Request['auth'], OtherAuthResult | undefined> = true;
const getAuthIsOurs: Equal<ReturnType<typeof getAuth>, AuthContext> = true;
const peekAuthIsOurs: Equal<ReturnType<typeof peekAuth>, AuthContext | null | undefined> = true;

export function build(auth: Auth): express.Express {
  const app = express();
  app.get('/me', verifyAuth(auth), (req, res) => {
    const subject: unknown = req.auth?.payload['sub'];
    res.json({ memberId: getAuth(req).memberId, subject });
  });
  return app;
}

export const checks = [reqAuthIsTheOtherLibrarys, getAuthIsOurs, peekAuthIsOurs];
