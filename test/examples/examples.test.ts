import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Running {
  child: ChildProcessWithoutNullStreams;
  address: string;
  tokens: Record<string, string>;
  output: () => string;
}

/** Starts `npm run example -- <framework>` as a user would, and waits for its curl lines. */
function startExample(framework: 'express' | 'fastify'): Promise<Running> {
  const child = spawn(process.execPath, ['scripts/run-example.mjs', framework], {
    cwd: root,
    env: { ...process.env, PORT: '0', STYTCH_LOG_LEVEL: 'info' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`example did not start:\n${out}`)), 60_000);
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const address = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
      const tokens = Object.fromEntries([...out.matchAll(/^export (\w+)='([^']+)'$/gm)].map((m) => [m[1], m[2]]));
      if (address && Object.keys(tokens).length === 4 && out.includes('curl -s -i')) {
        clearTimeout(timer);
        resolve({ child, address, tokens: tokens as Record<string, string>, output: () => out });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`example exited with ${code}:\n${out}`));
    });
  });
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

  it('starts on the embedded defaults and answers the printed curl lines', async () => {
    running = await startExample(framework);
    const { address, tokens } = running;
    const get = async (path: string, token?: string) => {
      const res = await fetch(`${address}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
      return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
    };

    const alice = await get('/me', tokens.ALICE);
    expect(alice.status).toBe(200);
    expect(alice.body).toMatchObject({ memberId: 'member-test-demo-alice', currentTeamName: 'Research', entitlements: ['foresight', 'byod'] });

    const bob = await get('/me', tokens.BOB);
    expect(bob.status).toBe(200);
    expect(bob.body.mongoUserId).toMatch(/^[0-9a-f]{24}$/);

    const carol = await get('/team/projects', tokens.CAROL);
    expect(carol).toMatchObject({ status: 200, body: { teamName: 'Ops' } });

    expect(await get('/foresight', tokens.BOB)).toMatchObject({ status: 403, body: { error: 'entitlement_missing', current_tier: 'standard' } });
    expect((await get('/foresight', tokens.ALICE)).status).toBe(200);
    expect(await get('/me', tokens.FORGED)).toMatchObject({ status: 401, body: { error: 'token_invalid' } });
    const anonymous = await get('/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="ayz-auth"');

    const out = running.output();
    expect(out).toContain('No org membership found for stytch_member_id=member-test-demo-bob');
    expect(out).toContain('MULTI-ORG FIX: Stale team_id detected for user member-test-demo-carol');
  });
});
