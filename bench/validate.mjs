// Benchmark of `prompts validate` (issues 2 and 10). Generates 1,000 prompts x 10 versions (+ a
// suite each + 3 environment files with correct sha256 pins) under bench/.work/, commits it to
// a git repo, then prints medians and ratios measured in this same run:
//   - `prompts --version` cold start vs `node -e 0`                 goal <= 1.5x
//   - `prompts validate` first run (no cache) vs the floor script    goal <= 1.0x
//   - `prompts validate` second run (nothing changed) vs the floor   goal <= 0.15x
//   - `prompts validate --staged` with 3 staged files vs cold start  goal <= 1.5x
// Options: --prompts N (default 1000), --versions N (10), --runs N (5), --keep (reuse the registry).
import { spawnSync, execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { generateRegistry, promptId, versionYaml } from '../fixtures/generate-registry.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'prompts.js');
const floor = path.join(here, 'lib', 'validate-floor.mjs');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const PROMPTS = arg('prompts', 1000);
const VERSIONS = arg('versions', 10);
const RUNS = arg('runs', 5);
const dir = path.join(here, '.work', 'validate-registry');
const env = { ...process.env, NO_COLOR: '1', CI: 'true', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };
const git = (...a) => execFileSync('git', a, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }).toString();

function time(args, { expect = 0, before, extraEnv } = {}) {
  if (before) before();
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: dir, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t;
  if (expect !== null && r.status !== expect) {
    console.error(`bench: ${args.join(' ')} exited ${r.status}\n${String(r.stdout).slice(0, 2000)}\n${String(r.stderr).slice(0, 2000)}`);
    process.exit(1);
  }
  return ms;
}
function median(args, runs, opts) {
  const xs = [];
  for (let i = 0; i < runs; i++) xs.push(time(args, opts));
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}
const fmt = (ms) => `${ms.toFixed(0).padStart(6)} ms`;
const ratio = (a, b) => (a / b).toFixed(2);
const line = (label, ms, base, baseLabel, goal) => {
  const r = ratio(ms, base);
  const verdict = Number(r) <= goal ? 'meets goal' : 'MISSES goal';
  console.log(`${label.padEnd(44)} ${fmt(ms)}  = ${r}x ${baseLabel} (goal <= ${goal}x: ${verdict})`);
};

if (!process.argv.includes('--keep') || !existsSync(path.join(dir, '.git'))) {
  const t = performance.now();
  const g = generateRegistry(dir, { prompts: PROMPTS, versions: VERSIONS });
  git('init', '-q', '-b', 'main');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench registry');
  console.log(`generated ${g.files} files (${g.ids} prompts x ${g.versions.length} versions, suites, ${g.pins} pins in 3 environments) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
}
// the cache only fingerprints files older than 2 s (see src/validate/cache.ts): wait it out
await new Promise((r) => setTimeout(r, 2100));
const cache = path.join(dir, '.prompts');
const dropCache = () => rmSync(cache, { recursive: true, force: true });

const { loadavg, availableParallelism } = await import('node:os');
console.log(`median of ${RUNS} runs (cold-start figures: ${RUNS * 2} runs), ${process.platform} node ${process.version}, ${availableParallelism()} cores, load average ${loadavg()[0].toFixed(1)}`);
const node0 = median(['-e', '0'], RUNS * 2);
const version = median([bin, '--version'], RUNS * 2);
console.log(`${'node -e 0'.padEnd(44)} ${fmt(node0)}`);
line('prompts --version', version, node0, 'node -e 0', 1.5);

const floorMs = median([floor, dir], RUNS);
console.log(`${'floor (read + js-yaml + ajv, 1 thread)'.padEnd(44)} ${fmt(floorMs)}`);
const cold = median([bin, 'validate'], Math.max(3, Math.ceil(RUNS / 2)), { before: dropCache });
line('prompts validate, first run (no cache)', cold, floorMs, 'floor', 1.0);
// for reference, the other mode: 'auto' uses worker threads only on more than 2 cores
const multi = availableParallelism() <= 2;
const coldOther = median([bin, 'validate'], 3, { before: dropCache, extraEnv: { PROMPTRAIL_WORKERS: multi ? '2' : '0' } });
time([bin, 'validate']);
const warm = median([bin, 'validate'], RUNS);
line('prompts validate, nothing changed (cache)', warm, floorMs, 'floor', 0.15);

// three staged files: two new versions and a changed suite
const staged = [];
for (const i of [1, 2, 3]) {
  const id = promptId(i * 7);
  const rel = i === 3 ? `prompts/${id}/evals.yaml` : `prompts/${id}/2.0.${i}.yaml`;
  const file = path.join(dir, rel);
  if (i === 3) writeFileSync(file, `${readFileSync(file, 'utf8')}  - name: staged case\n    vars: { ticket: x }\n`);
  else writeFileSync(file, versionYaml(id, `2.0.${i}`, i * 7, VERSIONS).replace(/^version: .*$/m, `version: 2.0.${i}`));
  staged.push(rel);
}
git('add', '--', ...staged);
const stagedMs = median([bin, 'validate', '--staged'], RUNS * 2);
line('prompts validate --staged (3 staged files)', stagedMs, version, 'cold start', 1.5);
git('reset', '-q', '--hard', 'HEAD');
for (const rel of staged) if (!rel.endsWith('evals.yaml')) rmSync(path.join(dir, rel), { force: true });
console.log(
  `(for reference: first run ${multi ? 'with the main thread and 1 worker (PROMPTRAIL_WORKERS=2)' : 'on the main thread only (PROMPTRAIL_WORKERS=0)'} ${fmt(coldOther).trim()} = ${ratio(coldOther, floorMs)}x floor; load average now ${loadavg()[0].toFixed(1)})`,
);
