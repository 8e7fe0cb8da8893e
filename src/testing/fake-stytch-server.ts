/**
 * A loopback HTTP server that answers the two Stytch B2B endpoints a resource server calls,
 * plus the ways those calls fail in production (resets, hangs, HTML error pages from a proxy,
 * 5xx, 429), so the library's timeouts, retries and stale-key fallback can be exercised
 * deterministically. What a session *is* lives elsewhere (see `StytchBackend`); this file only
 * speaks HTTP.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { RbacPolicyMode } from './rbac-policy.js';
import { defaultStytchError, stytchError, stytchRequestId, type StytchJwk } from './stytch-shapes.js';

/**
 * Fault injection for the JWKS endpoint (sticky until changed):
 * - `ok`: the key set.
 * - `down`: the connection is reset before any byte of response (like a crashed upstream).
 * - `slow`: the key set, after `slowMs` (to trip the client's timeout).
 * - `html`: `200 text/html`, as a captive portal or misrouted proxy would answer.
 * - `empty`: `200` with `{"keys": []}`.
 * - `error500`: Stytch's `internal_server_error`.
 */
export type JwksMode = 'ok' | 'down' | 'slow' | 'html' | 'empty' | 'error500';

/**
 * One injected failure of `POST /v1/b2b/sessions/authenticate`, for the next `times` calls.
 * - `status` (default mode): answer `status` (default 500) with `body` or Stytch's error for it.
 * - `timeout`: never answer (the client's timeout must fire); released by `close()`.
 * - `malformed-json`: `application/json` that does not parse, status `status ?? 200`.
 * - `reset`: reset the connection.
 */
export interface AuthenticateFailure {
  status?: number;
  /** How many calls fail. Default 1; `Infinity` until `clearFailures()`. */
  times?: number;
  /** A value is sent as JSON, a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
  mode?: 'status' | 'timeout' | 'malformed-json' | 'reset';
}

export interface RequestCounters {
  readonly jwks: number;
  readonly authenticate: number;
  /** `GET /v1/b2b/rbac/policy`. */
  readonly rbacPolicy: number;
  /** `GET /v1/b2b/rbac/organizations/{organization_id}`, every organization. */
  readonly rbacOrgPolicy: number;
  /** Requests to any other path. */
  readonly other: number;
}

/** Concurrency of `POST /v1/b2b/sessions/authenticate`, as the server saw it. */
export interface AuthenticateConcurrency {
  /** Calls received and not yet answered (held calls included). */
  readonly inFlight: number;
  /** The most calls ever in flight at once since the start or the last `resetCounters()`. */
  readonly maxInFlight: number;
  /** Calls waiting for `releaseAuthenticate()`. */
  readonly held: number;
}

export interface AuthenticateRequestBody {
  session_token?: unknown;
  session_jwt?: unknown;
}

export interface BackendReply {
  status: number;
  body: unknown;
}

/** What the server needs to know about the project it pretends to be. */
export interface StytchBackend {
  readonly projectId: string;
  readonly secret: string;
  jwks(): StytchJwk[];
  authenticate(body: AuthenticateRequestBody): BackendReply;
  /** The RBAC policy (`policy` of the response); absent: the endpoint answers 404. */
  rbacPolicy?(): unknown;
  /** One organization's `org_policy`. */
  rbacOrgPolicy?(stytchOrgId: string): unknown;
}

export interface FakeStytchServerOptions {
  host?: string;
  port?: number;
  /** Delay of the `slow` JWKS mode. Default 10000 ms. */
  slowMs?: number;
}

const JWKS_PATH = /^\/v1\/b2b\/sessions\/jwks\/([^/]+)$/;
const AUTHENTICATE_PATH = '/v1/b2b/sessions/authenticate';
const RBAC_POLICY_PATH = '/v1/b2b/rbac/policy';
const RBAC_ORG_POLICY_PATH = /^\/v1\/b2b\/rbac\/organizations\/([^/]+)$/;
const MAX_BODY_BYTES = 1024 * 1024;

interface PendingFailure extends AuthenticateFailure {
  remaining: number;
}

export class FakeStytchServer {
  readonly baseUrl: string;
  private readonly counters = { jwks: 0, authenticate: 0, rbacPolicy: 0, rbacOrgPolicy: 0, other: 0 };
  private rbacMode: RbacPolicyMode = 'ok';
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly failures: PendingFailure[] = [];
  private readonly concurrency = { inFlight: 0, maxInFlight: 0 };
  // Held calls wait on these; null when calls are answered at once.
  private held: (() => void)[] | null = null;
  private readonly heldWaiters: { count: number; resolve: () => void }[] = [];
  // Resolved when the last authenticate call in flight ends (its response or its socket).
  private settledWaiters: (() => void)[] = [];
  private jwksMode: JwksMode = 'ok';
  private slowMs: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly backend: StytchBackend,
    options: FakeStytchServerOptions,
    host: string,
  ) {
    const { port } = server.address() as AddressInfo;
    this.baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.slowMs = options.slowMs ?? 10_000;
  }

  static async start(backend: StytchBackend, options: FakeStytchServerOptions = {}): Promise<FakeStytchServer> {
    const host = options.host ?? '127.0.0.1';
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const fake = new FakeStytchServer(server, backend, options, host);
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    server.on('request', (req, res) => fake.route(req, res));
    return fake;
  }

  /** Live counts: read them after the calls under test. */
  get requests(): RequestCounters {
    return this.counters;
  }

  resetCounters(): void {
    this.counters.jwks = 0;
    this.counters.authenticate = 0;
    this.counters.rbacPolicy = 0;
    this.counters.rbacOrgPolicy = 0;
    this.counters.other = 0;
    this.concurrency.maxInFlight = this.concurrency.inFlight;
  }

  /** Live concurrency of the authenticate endpoint. */
  get authenticateConcurrency(): AuthenticateConcurrency {
    return { ...this.concurrency, held: this.held?.length ?? 0 };
  }

  /**
   * From now on, authenticate calls are received (counted, in flight) but not answered until
   * `releaseAuthenticate()`: a test can keep calls in flight for as long as it needs.
   */
  holdAuthenticate(): void {
    this.held ??= [];
  }

  /** Answers every held call (each as it would have been answered) and stops holding. */
  releaseAuthenticate(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const release of held) release();
  }

  /** Resolves once at least `count` calls are held (see `holdAuthenticate`). */
  whenAuthenticateHeld(count: number): Promise<void> {
    if ((this.held?.length ?? 0) >= count) return Promise.resolve();
    return new Promise((resolve) => this.heldWaiters.push({ count, resolve }));
  }

  /** Resolves once no authenticate call is in flight (answered, or its socket gone). */
  whenAuthenticateSettled(): Promise<void> {
    if (this.concurrency.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  setJwksMode(mode: JwksMode, options: { slowMs?: number } = {}): void {
    this.jwksMode = mode;
    if (options.slowMs !== undefined) this.slowMs = options.slowMs;
  }

  /** Fault injection for both RBAC policy endpoints; sticky until set back to `ok`. */
  setRbacPolicyMode(mode: RbacPolicyMode): void {
    this.rbacMode = mode;
  }

  /** Queues a failure; queued failures are used up in order. */
  failAuthenticate(failure: AuthenticateFailure): void {
    const remaining = failure.times ?? 1;
    if (remaining > 0) this.failures.push({ ...failure, remaining });
  }

  clearFailures(): void {
    this.failures.length = 0;
  }

  /** Immediate even while responses are held: every open socket is destroyed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.held = null;
      this.server.close(() => resolve());
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
    });
    return this.closing;
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const path = new URL(req.url ?? '/', 'http://fake.invalid').pathname;
    const jwks = JWKS_PATH.exec(path);
    if (jwks?.[1] !== undefined) {
      this.counters.jwks += 1;
      if (req.method !== 'GET') return sendJson(res, 405, stytchError(405, 'method_not_allowed', 'Method not allowed.'));
      return this.serveJwks(decodeURIComponent(jwks[1]), req, res);
    }
    if (path === AUTHENTICATE_PATH) {
      this.counters.authenticate += 1;
      if (req.method !== 'POST') return sendJson(res, 405, stytchError(405, 'method_not_allowed', 'Method not allowed.'));
      this.trackInFlight(res);
      void this.serveAuthenticate(req, res);
      return;
    }
    const orgPolicy = RBAC_ORG_POLICY_PATH.exec(path);
    if (path === RBAC_POLICY_PATH || orgPolicy?.[1] !== undefined) {
      if (path === RBAC_POLICY_PATH) this.counters.rbacPolicy += 1;
      else this.counters.rbacOrgPolicy += 1;
      if (req.method !== 'GET') return sendJson(res, 405, stytchError(405, 'method_not_allowed', 'Method not allowed.'));
      return this.serveRbac(orgPolicy?.[1] === undefined ? null : decodeURIComponent(orgPolicy[1]), req, res);
    }
    this.counters.other += 1;
    sendJson(res, 404, stytchError(404, 'route_not_found', `No route for ${req.method ?? 'GET'} ${path}.`));
  }

  private serveJwks(projectId: string, req: IncomingMessage, res: ServerResponse): void {
    const answer = (): void => {
      if (projectId !== this.backend.projectId) {
        return sendJson(res, 404, stytchError(404, 'project_not_found', 'Project could not be found.'));
      }
      sendJson(res, 200, { keys: this.backend.jwks(), request_id: stytchRequestId(), status_code: 200 });
    };
    switch (this.jwksMode) {
      case 'ok':
        return answer();
      case 'down':
        return reset(req.socket);
      case 'slow':
        return this.later(this.slowMs, answer);
      case 'html':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>');
        return;
      case 'empty':
        return sendJson(res, 200, { keys: [], request_id: stytchRequestId(), status_code: 200 });
      case 'error500':
        return sendJson(res, 500, defaultStytchError(500));
    }
  }

  /** `stytchOrgId` null: the project's policy; else that organization's custom roles. */
  private serveRbac(stytchOrgId: string | null, req: IncomingMessage, res: ServerResponse): void {
    const answer = (): void => {
      if (!this.hasProjectCredentials(req.headers.authorization)) {
        return sendJson(res, 401, stytchError(401, 'unauthorized_credentials', 'Unauthorized credentials. Check your project ID and secret.'));
      }
      const body =
        stytchOrgId === null
          ? this.backend.rbacPolicy === undefined
            ? undefined
            : { policy: this.backend.rbacPolicy() }
          : this.backend.rbacOrgPolicy === undefined
            ? undefined
            : { org_policy: this.backend.rbacOrgPolicy(stytchOrgId) };
      if (body === undefined) return sendJson(res, 404, stytchError(404, 'route_not_found', 'No RBAC policy is served.'));
      sendJson(res, 200, { request_id: stytchRequestId(), status_code: 200, ...body });
    };
    switch (this.rbacMode) {
      case 'ok':
        return answer();
      case 'down':
        return reset(req.socket);
      case 'slow':
        return this.later(this.slowMs, answer);
      case 'error500':
        return sendJson(res, 500, defaultStytchError(500));
      case 'ratelimited':
        return sendJson(res, 429, defaultStytchError(429), { 'retry-after': '1' });
      case 'malformed':
        return sendJson(res, 200, { request_id: stytchRequestId(), status_code: 200, policy: { roles: 'all' } });
    }
  }

  private async serveAuthenticate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return sendJson(res, 413, stytchError(413, 'request_too_large', 'The request body is too large.'));
    }
    if (this.held !== null) await this.hold();

    const failure = this.takeFailure();
    if (failure !== undefined) return this.fail(failure, req, res);

    if (!this.hasProjectCredentials(req.headers.authorization)) {
      return sendJson(
        res,
        401,
        stytchError(401, 'unauthorized_credentials', 'Unauthorized credentials. Check your project ID and secret.'),
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendJson(res, 400, stytchError(400, 'invalid_json', 'The request body is not valid JSON.'));
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return sendJson(res, 400, stytchError(400, 'bad_request', 'The request body must be a JSON object.'));
    }
    const reply = this.backend.authenticate(body as AuthenticateRequestBody);
    sendJson(res, reply.status, reply.body);
  }

  /** In flight from the request's arrival until its response ends or its socket goes. */
  private trackInFlight(res: ServerResponse): void {
    this.concurrency.inFlight += 1;
    this.concurrency.maxInFlight = Math.max(this.concurrency.maxInFlight, this.concurrency.inFlight);
    res.once('close', () => {
      this.concurrency.inFlight -= 1;
      if (this.concurrency.inFlight === 0) for (const resolve of this.settledWaiters.splice(0)) resolve();
    });
  }

  private hold(): Promise<void> {
    const held = this.held;
    if (held === null) return Promise.resolve();
    return new Promise<void>((resolve) => {
      held.push(resolve);
      for (let i = this.heldWaiters.length - 1; i >= 0; i -= 1) {
        const waiter = this.heldWaiters[i];
        if (waiter !== undefined && held.length >= waiter.count) {
          this.heldWaiters.splice(i, 1);
          waiter.resolve();
        }
      }
    });
  }

  private takeFailure(): PendingFailure | undefined {
    const head = this.failures[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.failures.shift();
    return head;
  }

  private fail(failure: PendingFailure, req: IncomingMessage, res: ServerResponse): void {
    switch (failure.mode ?? 'status') {
      case 'timeout':
        return;
      case 'reset':
        return reset(req.socket);
      case 'malformed-json': {
        const status = failure.status ?? 200;
        res.writeHead(status, { 'content-type': 'application/json', ...failure.headers });
        res.end(typeof failure.body === 'string' ? failure.body : `{"status_code":${status},"request_id":"${stytchRequestId()}","member":{`);
        return;
      }
      case 'status': {
        const status = failure.status ?? 500;
        if (typeof failure.body === 'string') {
          res.writeHead(status, { 'content-type': 'application/json', ...failure.headers });
          res.end(failure.body);
          return;
        }
        return sendJson(res, status, failure.body ?? defaultStytchError(status), failure.headers);
      }
    }
  }

  private hasProjectCredentials(header: string | undefined): boolean {
    const match = header === undefined ? null : /^Basic\s+(\S+)\s*$/i.exec(header);
    if (match?.[1] === undefined) return false;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    return decoded.slice(0, colon) === this.backend.projectId && decoded.slice(colon + 1) === this.backend.secret;
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** A TCP RST, which clients report as ECONNRESET / "other side closed", like a dead upstream. */
function reset(socket: Socket): void {
  socket.resetAndDestroy();
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
