// Build: compile src/ to dist/ with tsc. Kept as a script so `prepare` works on a fresh clone.
// dist/ is not wiped first: concurrent test runs may be reading it, and tsc overwrites every file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, cpSync } from 'node:fs';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
// assets that are not TypeScript: the HTML eval report's viewer script and styles
cpSync(new URL('../src/cli/reporters/eval-html/', import.meta.url), new URL('../dist/cli/reporters/eval-html/', import.meta.url), { recursive: true });
// validate's schemas precompiled to standalone ajv code (optional: validate compiles them when absent)
const pre = new URL('../dist/validate/precompile.js', import.meta.url);
// the eval report schema, precompiled the same way (report html / merge / promote --report read reports)
const reportPre = new URL('../dist/eval/report-schema.js', import.meta.url);
if (r.status === 0 && existsSync(reportPre)) {
  const p = spawnSync(process.execPath, [reportPre.pathname], { stdio: 'inherit' });
  if (p.status !== 0) console.warn('build: could not precompile the eval report schema; it is compiled at run time');
}
if (existsSync(pre)) {
  const p = spawnSync(process.execPath, [pre.pathname], { stdio: 'inherit' });
  if (p.status !== 0) console.warn('build: could not precompile the schemas; validate will compile them at run time');
}
process.exit(r.status ?? 1);
