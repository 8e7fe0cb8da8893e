// `npm run bench [-- --only=verify,cold,memory,http]`: runs bench/run.ts with tsx (which resolves
// the package's own name through tsconfig paths, so no build is needed). The runner is the load
// generator: it is pinned to core 1 when `taskset` and a second core exist, and pins the
// servers it starts to core 0. Without them it runs unpinned and says so.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const args = [tsxCli, 'bench/run.ts', ...process.argv.slice(2)];

let pin = false;
if (os.availableParallelism() >= 2) {
  try {
    execFileSync('taskset', ['-c', '1', 'true'], { stdio: 'ignore' });
    pin = true;
  } catch {
    console.error('[bench] taskset unavailable: server and load generator are not pinned to separate cores');
  }
}
const child = pin
  ? spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio: 'inherit' })
  : spawn(process.execPath, args, { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
