/**
 * The baseline of the HTTP bench: the middleware a service would write by hand with jose
 * alone — `jwtVerify` against the same JWKS, and a `Map` of verified tokens by token string
 * so a warm token costs one lookup. No context, no roles, no logging: the floor ayz-auth's
 * warm path is compared with ("never behind jose + memo in the same run").
 *
 * A hit is answered synchronously (no promise), as the fastest hand-written version would.
 * The memo is unbounded and checks only `exp`: fine for a bench with one token, not a
 * pattern to ship.
 */
import type { NextFunction, Request, Response } from 'express';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';

export interface JoseMemoOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
}

export interface JoseMemo {
  /** The payload of a memoised, unexpired token, or undefined. */
  hit(token: string): JWTPayload | undefined;
  /** Verifies and memoises; rejects when the token is not valid. */
  verify(token: string): Promise<JWTPayload>;
}

export function createJoseMemo(opts: JoseMemoOptions): JoseMemo {
  const jwks = createRemoteJWKSet(new URL(opts.jwksUrl));
  const memo = new Map<string, JWTPayload>();
  return {
    hit(token) {
      const payload = memo.get(token);
      if (payload === undefined) return undefined;
      if (typeof payload.exp === 'number' && payload.exp * 1000 <= Date.now()) {
        memo.delete(token);
        return undefined;
      }
      return payload;
    },
    async verify(token) {
      const { payload } = await jwtVerify(token, jwks, { issuer: opts.issuer, audience: opts.audience, algorithms: ['RS256'] });
      memo.set(token, payload);
      return payload;
    },
  };
}

function bearer(header: string | undefined): string | undefined {
  return header !== undefined && header.startsWith('Bearer ') ? header.slice(7) : undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    joseClaims?: JWTPayload;
  }
}
declare module 'fastify' {
  interface FastifyRequest {
    joseClaims?: JWTPayload;
  }
}

export function joseMemoExpress(memo: JoseMemo): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const token = bearer(req.headers.authorization);
    if (token === undefined) return void res.status(401).json({ error: 'token_missing' });
    const payload = memo.hit(token);
    if (payload !== undefined) {
      req.joseClaims = payload;
      return next();
    }
    memo.verify(token).then(
      (p) => {
        req.joseClaims = p;
        next();
      },
      () => void res.status(401).json({ error: 'token_invalid' }),
    );
  };
}

/** A callback-style `onRequest` hook: Fastify's cheapest form when the answer is synchronous. */
export function joseMemoFastify(memo: JoseMemo): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  return (request, reply, done) => {
    const token = bearer(request.headers.authorization);
    if (token === undefined) return void reply.code(401).send({ error: 'token_missing' });
    const payload = memo.hit(token);
    if (payload !== undefined) {
      request.joseClaims = payload;
      return done();
    }
    memo.verify(token).then(
      (p) => {
        request.joseClaims = p;
        done();
      },
      () => void reply.code(401).send({ error: 'token_invalid' }),
    );
  };
}
