// Benchmark: `prompts promote` including its git commit, in a repository with 5,000 commits and
// 1,000 pinned prompts. Goals (issue 10), every number measured in this same run, interleaved:
//   - promote <= 1.5x (node -e 0 + a bare `git add` + `git commit` of one file in the same repo)
//   - promote <= 1.3x the same promote in a one-prompt repo (what the 5,000 commits and 1,000
//     pins cost on top of the CLI's fixed cost)
// Data goes to bench/.work/promote/. BENCH_ROUNDS (default 15) rounds.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const BIN = path.join(here, '..', 'bin', 'prompts.js');
const work = path.join(here, '.work', 'promote');
const repo = path.join(work, 'repo');
const PROMPTS = 1000;
const COMMITS = 5000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  NO_COLOR: '1',
  CI: 'true',
};
const git = (...args) => execFileSync('git', args, { cwd: repo, env, encoding: 'utf8', maxBuffer: 1 << 28 });

const { serializeEnv } = await import(path.join(here, '..', 'dist', 'registry', 'env-store.js'));
const { sha256 } = await import(path.join(here, '..', 'dist', 'registry', 'files.js'));

const id = (i) => `team${String(i % 10)}/p${String(i).padStart(4, '0')}`;
const promptText = (pid, v) => `id: ${pid}
version: ${v}
description: bench prompt ${pid}
model: { provider: offline, name: echo }
inputs: { type: object, properties: { x: { type: string } } }
messages:
  - role: system
    content: You are prompt ${pid} at ${v}.
  - role: user
    content: "{{x}}"
`;

function build() {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  git('init', '-q', '-b', 'main');
  git('config', 'commit.gpgsign', 'false');
  const files = new Map();
  files.set('prompts.config.yaml', 'environments:\n  development: {}\n  staging: { requires: development }\nproviders:\n  offline: { type: echo }\n');
  files.set('.gitignore', '.prompts/\n');
  const pins = {};
  for (let i = 0; i < PROMPTS; i++) {
    const pid = id(i);
    const v1 = promptText(pid, '1.0.0');
    files.set(`prompts/${pid}/1.0.0.yaml`, v1);
    files.set(`prompts/${pid}/1.1.0.yaml`, promptText(pid, '1.1.0'));
    const at = '2026-11-01T10:00:00Z';
    pins[pid] = {
      version: '1.0.0',
      sha256: sha256(v1),
      previous: null,
      promoted_at: at,
      promoted_by: 'Bench <bench@example.com>',
      history: [{ action: 'promote', version: '1.0.0', from: null, sha256: sha256(v1), at, by: 'Bench <bench@example.com>' }],
    };
  }
  files.set('environments/development.yaml', serializeEnv({ environment: 'development', prompts: pins }));
  // fast-import stream: one commit with everything, then COMMITS-1 small commits
  const chunks = [];
  const blob = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let t = 1_700_000_000;
  chunks.push(`commit refs/heads/main\nmark :1\ncommitter Bench <bench@example.com> ${t} +0000\n${blob('initial registry')}`);
  for (const [p, c] of files) chunks.push(`M 100644 inline ${p}\n${blob(c)}`);
  for (let n = 2; n <= COMMITS; n++) {
    t += 60;
    chunks.push(`commit refs/heads/main\nmark :${n}\ncommitter Bench <bench@example.com> ${t} +0000\n${blob(`change ${n}`)}from :${n - 1}\nM 100644 inline notes/n${n % 200}.txt\n${blob(`note ${n}\n`)}`);
  }
  execFileSync('git', ['fast-import', '--quiet'], { cwd: repo, env, input: chunks.join(''), maxBuffer: 1 << 28 });
  git('checkout', '-q', '-f', 'main');
}

function time(cmd, args, cwd = repo) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const t0 = Date.now();
build();
const count = git('rev-list', '--count', 'HEAD').trim();
console.log(`repo: ${count} commits, ${PROMPTS} pinned prompts (${((Date.now() - t0) / 1000).toFixed(1)} s to generate)`);

// the same promote in a tiny registry (one prompt, one commit): the fixed cost of the CLI
const tiny = path.join(work, 'tiny');
mkdirSync(path.join(tiny, 'prompts', 'solo'), { recursive: true });
writeFileSync(path.join(tiny, 'prompts.config.yaml'), 'environments:\n  development: {}\nproviders:\n  offline: { type: echo }\n');
writeFileSync(path.join(tiny, '.gitignore'), '.prompts/\n');
for (let i = 0; i < ROUNDS; i++) writeFileSync(path.join(tiny, 'prompts', 'solo', `1.${i}.0.yaml`), promptText('solo', `1.${i}.0`));
const tgit = (...args) => execFileSync('git', args, { cwd: tiny, env, encoding: 'utf8' });
tgit('init', '-q', '-b', 'main');
tgit('config', 'commit.gpgsign', 'false');
tgit('add', '-A');
tgit('commit', '-q', '-m', 'tiny');

const bare = [];
const nodeStart = [];
const promote = [];
const tinyRuns = [];
for (let i = 0; i < ROUNDS; i++) {
  // baseline: node start, and a bare git add + git commit of one file in the big repo
  nodeStart.push(time(process.execPath, ['-e', '0']));
  writeFileSync(path.join(repo, 'bench.txt'), `round ${i}\n`);
  bare.push(time('sh', ['-c', 'git add bench.txt && git commit -q -m "bench round"']));
  promote.push(time(process.execPath, [BIN, 'promote', `${id(i)}@1.1.0`, '--env', 'development', '--reason', 'bench']));
  tinyRuns.push(time(process.execPath, [BIN, 'promote', `solo@1.${i}.0`, '--env', 'development', '--reason', 'bench'], tiny));
}
if (!existsSync(path.join(repo, 'environments', 'development.yaml'))) throw new Error('env file missing');
const last = git('log', '-1', '--format=%s').trim();
if (!last.startsWith('prompts(development): promote')) throw new Error(`unexpected last commit: ${last}`);

const n = median(nodeStart);
const b = median(bare);
const p = median(promote);
const tm = median(tinyRuns);
const verdict = (r, goal) => (r <= goal ? 'meets goal' : 'MISSES goal');
console.log(`node -e 0                                   median ${n.toFixed(1)} ms`);
console.log(`bare git add + commit                       median ${b.toFixed(1)} ms`);
console.log(`prompts promote, 5,000 commits / 1,000 pins  median ${p.toFixed(1)} ms`);
console.log(`prompts promote, one-prompt repo             median ${tm.toFixed(1)} ms`);
const r1 = p / (n + b);
const r2 = p / tm;
console.log(`promote / (node -e 0 + bare commit)  = ${r1.toFixed(2)}x   (goal <= 1.5x: ${verdict(r1, 1.5)})`);
console.log(`promote / one-prompt promote         = ${r2.toFixed(2)}x   (goal <= 1.3x: ${verdict(r2, 1.3)})`);
console.log(`  for reference: promote / bare commit = ${(p / b).toFixed(2)}x; the CLI's fixed cost (one-prompt promote) = ${(tm / (n + b)).toFixed(2)}x (node -e 0 + bare commit)`);
