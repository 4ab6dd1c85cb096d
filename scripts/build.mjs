// Build: compile src/ to dist/ with tsc. Kept as a script so `prepare` works on a fresh clone.
// dist/ is not wiped first: concurrent test runs may be reading it, and tsc overwrites every file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
process.exit(r.status ?? 1);
