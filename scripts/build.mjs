// Build: compile src/ to dist/ with tsc. `prepare` runs it on a fresh clone: `npm install` in a
// checkout, a git dependency, and the pre-commit framework's `language: node` install of this
// repository (see .pre-commit-hooks.yaml and the README's "pre-commit framework").
//
// It writes nothing on stdout: `npm pack` prints the tarball's name there and pre-commit < 4.6.1
// reads that name from it. Everything the build says goes to stderr.
//
// dist/ is not wiped first: concurrent test runs may be reading it, and tsc overwrites every file.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { existsSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const say = (msg) => process.stderr.write(`build: ${msg}\n`);
/** children's stdout goes to our stderr */
const quiet = ['ignore', 2, 2];
const lifecycle = process.env.npm_lifecycle_event === 'prepare';

function resolveTsc() {
  try {
    return require.resolve('typescript/bin/tsc');
  } catch {
    return null;
  }
}

// What dist/ is made from, recorded after a good build (under node_modules/.cache, so it is never
// packed), so the second `prepare` of one install (npm runs it again when it packs the folder it
// just installed) does not compile everything again. Only `prepare` trusts it; `npm run build`
// always compiles.
function inputsDigest() {
  const h = createHash('sha256');
  const add = (rel) => h.update(`${rel}\0`).update(readFileSync(path.join(root, rel))).update('\0');
  const walk = (rel) => {
    for (const e of readdirSync(path.join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const r = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(r);
      else add(r);
    }
  };
  for (const f of ['package.json', 'tsconfig.json', 'scripts/build.mjs']) add(f);
  walk('src');
  walk('schemas');
  h.update(process.version);
  return h.digest('hex');
}
const stampFile = path.join(root, 'node_modules/.cache/promptrail/build-inputs');

if (lifecycle && existsSync(stampFile) && existsSync(path.join(root, 'dist/cli/main.js')) && readFileSync(stampFile, 'utf8').trim() === inputsDigest()) {
  say('dist/ is up to date with src/ (built by an earlier prepare of this install)');
  process.exit(0);
}

let tsc = resolveTsc();
if (!tsc && lifecycle) {
  // `npm install -g git+…` (what pre-commit >= 4.6.1 runs for `language: node`) prepares the
  // clone with an npm that inherits `global` and installs the package into the global folder,
  // so none of the devDependencies land in ./node_modules and this script found no TypeScript.
  // Install the locked toolchain here, as a local install, and build with it.
  say('TypeScript is not installed in this checkout (a global git install leaves devDependencies out); installing the locked devDependencies with npm ci');
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli && /\.[cm]?js$/.test(npmCli) ? [process.execPath, [npmCli]] : ['npm', []];
  const args = [...pre, 'ci', '--global=false', '--include=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--no-progress', '--loglevel=warn'];
  const r = spawnSync(cmd, args, { cwd: root, stdio: quiet, shell: cmd === 'npm' && process.platform === 'win32' });
  if (r.status !== 0) {
    say(`npm ci failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); run "npm ci" in ${root} and build again`);
    process.exit(1);
  }
  tsc = resolveTsc();
}
if (!tsc) {
  say('TypeScript is not installed: run "npm ci" (it installs the devDependencies the build needs), then "npm run build"');
  process.exit(1);
}

const r = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: quiet });
if (r.status !== 0) process.exit(r.status ?? 1);
// assets that are not TypeScript: the HTML eval report's viewer script and styles
cpSync(path.join(root, 'src/cli/reporters/eval-html/'), path.join(root, 'dist/cli/reporters/eval-html/'), { recursive: true });
// the eval report schema, precompiled to standalone ajv code (report html / merge / promote --report read reports)
const reportPre = path.join(root, 'dist/eval/report-schema.js');
if (existsSync(reportPre)) {
  const p = spawnSync(process.execPath, [reportPre], { stdio: quiet });
  if (p.status !== 0) say('could not precompile the eval report schema; it is compiled at run time');
}
// validate's schemas precompiled the same way (optional: validate compiles them when absent)
const pre = path.join(root, 'dist/validate/precompile.js');
if (existsSync(pre)) {
  const p = spawnSync(process.execPath, [pre], { stdio: quiet });
  if (p.status !== 0) say('could not precompile the schemas; validate will compile them at run time');
}
mkdirSync(path.dirname(stampFile), { recursive: true });
writeFileSync(stampFile, `${inputsDigest()}\n`);
