// Runs every benchmark script in bench/ (bench/<area>.mjs) one after another against the built
// CLI (run `npm run build` first). Each script prints its own ratios against a baseline it
// measures in the same run. Pass names to run a subset: `npm run bench -- validate eval`.
import { readdirSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
if (!existsSync(path.join(here, '..', 'dist', 'cli', 'main.js'))) {
  console.error('bench: dist/ is missing; run `npm run build` first');
  process.exit(2);
}
const wanted = process.argv.slice(2);
const scripts = readdirSync(here)
  .filter((f) => f.endsWith('.mjs') && f !== 'run.mjs')
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.mjs$/, '')))
  .sort();
let failed = 0;
for (const s of scripts) {
  console.log(`\n=== bench/${s} ===`);
  const r = spawnSync(process.execPath, ['--expose-gc', path.join(here, s)], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    console.log(`bench/${s} exited with ${r.status}`);
  }
}
process.exit(failed ? 1 : 0);
