/**
 * `npm run example` as a user runs it: the script is spawned, and the curl lines it prints are
 * pasted into a shell (with its `export` lines) and run with the real curl.
 */
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const READY_MARKER = '# Ctrl-C stops the service.';

interface Running {
  child: ChildProcessWithoutNullStreams;
  address: string;
  exports: string[];
  curlLines: string[];
  output: () => string;
}

/** Starts `npm run example -- <framework>` and waits for the block of curl lines it prints. */
function startExample(framework: 'express' | 'fastify', port: string): Promise<Running> {
  const child = spawn(process.execPath, ['scripts/run-example.mjs', framework], {
    cwd: root,
    env: { ...process.env, PORT: port, STYTCH_LOG_LEVEL: 'info' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start:\n${out}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes(READY_MARKER)) return;
      clearTimeout(timer);
      const address = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (!address) return reject(new Error(`no address printed:\n${out}`));
      const lines = out.split('\n');
      resolve({
        child,
        address,
        exports: lines.filter((l) => /^export [A-Z]+='[^']+'$/.test(l)),
        curlLines: lines.filter((l) => l.startsWith('curl ')),
        output: () => out,
      });
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`example exited with ${code}:\n${out}`));
    });
  });
}

interface CurlResult {
  status: number;
  body: Record<string, unknown>;
}

/** Runs one printed curl line in a shell after the printed exports, as pasted in a terminal. */
async function paste(running: Running, curlLine: string): Promise<CurlResult> {
  const { stdout } = await run('sh', ['-c', [...running.exports, curlLine].join('\n')]);
  const lines = stdout.trimEnd().split('\n');
  const status = lines.pop() ?? '';
  expect(status, `the curl line prints the status code last: ${curlLine}`).toMatch(/^\d{3}$/);
  return { status: Number(status), body: JSON.parse(lines.join('\n')) as Record<string, unknown> };
}

/** The printed curl line for `path` sent as `token` (a variable name such as ALICE, or none). */
function lineFor(running: Running, path: string, token?: string): string {
  const line = running.curlLines.find(
    (l) => l.endsWith(`${running.address}${path}`) && (token ? l.includes(`Bearer $${token}"`) : !l.includes('Authorization')),
  );
  if (!line) throw new Error(`no curl line for ${path} as ${token ?? 'nobody'} in:\n${running.curlLines.join('\n')}`);
  return line;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe.each(['express', 'fastify'] as const)('npm run example -- %s', (framework) => {
  let running: Running | undefined;
  afterEach(async () => {
    if (!running) return;
    const exited = new Promise((resolve) => running?.child.once('exit', resolve));
    running.child.kill('SIGINT');
    await exited;
    running = undefined;
  });

  it('starts on the embedded defaults, and every printed curl line answers with its status code', async () => {
    running = await startExample(framework, '0');
    const r = running;
    expect(r.exports).toHaveLength(5);
    expect(r.curlLines.length).toBeGreaterThanOrEqual(10);

    const results = new Map<string, CurlResult>();
    for (const line of r.curlLines) results.set(line, await paste(r, line));
    const answer = (path: string, token?: string) => results.get(lineFor(r, path, token));

    expect(answer('/healthz')).toEqual({ status: 200, body: { ok: true } });

    expect(answer('/me', 'ALICE')).toMatchObject({
      status: 200,
      body: { memberId: 'member-test-demo-alice', currentTeamName: 'Research', entitlements: ['foresight', 'byod'] },
    });
    const bob = answer('/me', 'BOB');
    expect(bob?.status).toBe(200);
    expect(bob?.body.mongoUserId).toMatch(/^[0-9a-f]{24}$/);

    // Team isolation: Alice sees Research's projects, not those of Design (her own org's other
    // team) nor Globex's; Carol, whose stale Acme team was corrected, sees Ops's only.
    expect(answer('/team/projects', 'ALICE')).toMatchObject({
      status: 200,
      body: { teamName: 'Research', projects: ['Lab notebook', 'Roadmap 2025'] },
    });
    expect(answer('/team/projects', 'CAROL')).toMatchObject({ status: 200, body: { teamName: 'Ops', projects: ['Runbook'] } });
    expect(answer('/team/projects', 'DAVE')).toMatchObject({ status: 400, body: { error: 'team_required' } });

    expect(answer('/foresight', 'BOB')).toMatchObject({ status: 403, body: { error: 'entitlement_missing', current_tier: 'standard' } });
    expect(answer('/foresight', 'ALICE')?.status).toBe(200);
    expect(answer('/me', 'FORGED')).toMatchObject({ status: 401, body: { error: 'token_invalid' } });
    expect(answer('/me')).toMatchObject({ status: 401, body: { error: 'token_missing' } });

    const out = r.output();
    expect(out).toContain('No org membership found for stytch_member_id=member-test-demo-bob');
    expect(out).toContain('MULTI-ORG FIX: Stale team_id detected for user member-test-demo-carol');
    // Tokens are printed for the user to paste, but the service never logs one.
    const logLines = out.split('\n').filter((l) => l.startsWith('{'));
    expect(logLines.length).toBeGreaterThan(0);
    for (const [, value] of r.exports.map((l) => /'([^']+)'/.exec(l) ?? [])) {
      for (const logLine of logLines) expect(logLine).not.toContain(value);
    }
  });

  it('listens on PORT, and prints curl lines for that port', async () => {
    const port = await freePort();
    running = await startExample(framework, String(port));
    expect(running.address).toBe(`http://127.0.0.1:${port}`);
    expect(running.curlLines.every((l) => l.includes(`http://127.0.0.1:${port}/`))).toBe(true);
    expect(await paste(running, lineFor(running, '/healthz'))).toEqual({ status: 200, body: { ok: true } });
  });
});

describe('npm run example with a bad PORT', () => {
  it('exits with status 2 and names PORT', async () => {
    const child = spawn(process.execPath, ['scripts/run-example.mjs', 'express'], { cwd: root, env: { ...process.env, PORT: 'http' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(err).toContain("PORT must be a port number (0-65535), got 'http'");
  });
});
