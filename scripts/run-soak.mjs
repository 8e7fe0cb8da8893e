// `npm run soak [-- --duration 60 --concurrency 24 --members 300 --orgs 30]`: runs bench/soak/soak.ts
// with tsx (which resolves `ayz-auth`, `ayz-auth/express`… through tsconfig paths, no build
// needed). Exit code 0 only when there were no wrong answers and no 5xx.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const child = spawn(process.execPath, [tsxCli, 'bench/soak/soak.ts', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
