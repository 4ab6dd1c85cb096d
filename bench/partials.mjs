// Benchmark of the template library (issue 13), ratios measured in this same run:
//   - `prompts validate` (no cache) of the 10,000-file bench registry where every version uses
//     two partials, vs the same registry without partials                      goal <= 1.1x
//   - render of a prompt with 3 nested partials (in process, compiled once)      goal <= 20 µs
//     (the same prompt with the partials' text inlined is printed as the baseline)
// Options: --prompts N (default 1000), --versions N (10), --runs N (5).
import { spawnSync, execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { generateRegistry } from '../fixtures/generate-registry.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const bin = path.join(here, '..', 'bin', 'prompts.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
};
const PROMPTS = arg('prompts', 1000);
const VERSIONS = arg('versions', 10);
const RUNS = arg('runs', 5);
const env = { ...process.env, NO_COLOR: '1', CI: 'true', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.com', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.com' };

function make(name, partials) {
  const dir = path.join(here, '.work', name);
  const g = generateRegistry(dir, { prompts: PROMPTS, versions: VERSIONS, partials });
  const git = (...a) => execFileSync('git', a, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  git('init', '-q', '-b', 'main');
  git('config', 'commit.gpgsign', 'false');
  git('add', '-A');
  git('commit', '-q', '-m', 'bench registry');
  return { dir, files: g.files };
}
function validateMs(dir) {
  rmSync(path.join(dir, '.prompts'), { recursive: true, force: true });
  const t = performance.now();
  const r = spawnSync(process.execPath, [bin, 'validate'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - t;
  if (r.status !== 0) {
    console.error(`bench: validate exited ${r.status} in ${dir}\n${String(r.stdout).slice(0, 2000)}\n${String(r.stderr).slice(0, 2000)}`);
    process.exit(1);
  }
  return ms;
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const plain = make('partials-without', false);
const withP = make('partials-with', true);
console.log(`generated two registries: ${plain.files} files without partials, ${withP.files} with two partials per version`);
await new Promise((r) => setTimeout(r, 2100)); // the cache fingerprints files older than 2 s only
// interleaved, so load on the shared machine hits both alike
const a = [];
const b = [];
for (let i = 0; i < RUNS; i++) {
  a.push(validateMs(plain.dir));
  b.push(validateMs(withP.dir));
}
const ma = median(a);
const mb = median(b);
const r = mb / ma;
console.log(`${'validate, no partials (baseline)'.padEnd(48)} ${ma.toFixed(0).padStart(6)} ms`);
console.log(`${'validate, two partials per version'.padEnd(48)} ${mb.toFixed(0).padStart(6)} ms  = ${r.toFixed(2)}x baseline (goal <= 1.1x: ${r <= 1.1 ? 'meets goal' : 'MISSES goal'})`);

// render with 3 nested partials: a -> b -> c, compiled once as the SDK and eval do
const { compilePrompt } = await import('../dist/core/render.js');
const inputs = { type: 'object', required: ['ticket'], properties: { ticket: { type: 'string' }, name: { type: 'string' } } };
const library = {
  uses: { a: 'x/a@1.0.0' },
  partials: {
    'x/a@1.0.0': { template: 'Tone: be kind. {{> b}}', uses: { b: 'x/b@1.0.0' } },
    'x/b@1.0.0': { template: 'Safety: no secrets. {{> c}}', uses: { c: 'x/c@1.0.0' } },
    'x/c@1.0.0': { template: '{{#if name}}Sign as {{name}}.{{/if}}', uses: {} },
  },
};
const nested = compilePrompt({ messages: [{ role: 'system', content: 'You triage tickets. {{> a}}' }, { role: 'user', content: 'Ticket: {{ticket}}' }], inputs }, library);
const inline = compilePrompt({ messages: [{ role: 'system', content: 'You triage tickets. Tone: be kind. Safety: no secrets. {{#if name}}Sign as {{name}}.{{/if}}' }, { role: 'user', content: 'Ticket: {{ticket}}' }], inputs });
const vars = { ticket: 'I was charged twice', name: 'Ana' };
if (nested.render(vars)[0].content !== inline.render(vars)[0].content) throw new Error('bench: nested and inlined renders differ');
const perRender = (c) => {
  const N = 20000;
  for (let i = 0; i < 2000; i++) c.render(vars);
  const xs = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) c.render(vars);
    xs.push(((performance.now() - t) * 1000) / N);
  }
  return median(xs);
};
const us0 = perRender(inline);
const us = perRender(nested);
console.log(`${'render, partials inlined (baseline)'.padEnd(48)} ${us0.toFixed(2).padStart(6)} µs`);
console.log(`${'render, 3 nested partials'.padEnd(48)} ${us.toFixed(2).padStart(6)} µs  = ${(us / us0).toFixed(2)}x inlined (goal <= 20 µs: ${us <= 20 ? 'meets goal' : 'MISSES goal'})`);
