// Benchmark of rollout assignment (issue 11). Goals: bucket assignment <= 1 µs per key;
// `get(id, { key })` + `render()` <= 10 µs per call. Baselines measured in the same run: one bare
// sha256 of the same input (node:crypto, what the bucket cannot avoid), and `get(id).render()`
// without a key (the stable arm: no hashing). Needs `npm run build`. Data under
// bench/.work/rollout/ (gitignored). Exit 1 when a goal is missed.
import { mkdirSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import * as crypto from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as path from 'node:path';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORK = path.join(ROOT, 'bench', '.work', 'rollout');
const dist = (p) => pathToFileURL(path.join(ROOT, 'dist', p)).href;
const { bucketOf, assignArm } = await import(dist('core/bucket.js'));
const sdk = await import(dist('index.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ID = 'support/triage';

function prompt(version, system) {
  return `id: ${ID}
version: ${version}
model: { provider: openai, name: gpt-4o-mini, parameters: { temperature: 0.2, max_tokens: 400 } }
inputs:
  type: object
  required: [ticket]
  properties:
    ticket: { type: string, minLength: 1, maxLength: 20000 }
    customer_tier: { type: string, enum: [free, pro, enterprise] }
  additionalProperties: false
messages:
  - role: system
    content: ${system}
  - role: user
    content: |
      Ticket: {{ticket}}
      {{#if customer_tier}}Tier: {{customer_tier}}{{/if}}
`;
}

// a registry whose production pins support/triage@1.4.0 with a rollout of 1.5.0 at 10 %
rmSync(WORK, { recursive: true, force: true });
mkdirSync(path.join(WORK, 'environments'), { recursive: true });
mkdirSync(path.join(WORK, 'prompts', 'support', 'triage'), { recursive: true });
writeFileSync(path.join(WORK, 'prompts.config.yaml'), 'environments:\n  production: {}\nproviders:\n  openai: { type: openai, api_key_env: OPENAI_API_KEY }\n');
const sha = {};
for (const [v, sys] of [['1.4.0', 'You triage tickets.'], ['1.5.0', 'You triage tickets; be brief.']]) {
  const text = prompt(v, sys);
  writeFileSync(path.join(WORK, 'prompts', 'support', 'triage', `${v}.yaml`), text);
  sha[v] = crypto.createHash('sha256').update(text).digest('hex');
}
// the env file as promptrail writes it (a hand-written one is refused: SPEC §15's history chain)
for (const args of [['promote', `${ID}@1.4.0`, '--env', 'production', '--no-commit'], ['rollout', 'start', `${ID}@1.5.0`, '--env', 'production', '--weight', '10', '--stages', '10,50,100', '--no-commit']]) {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'prompts.js'), '-C', WORK, ...args, '-q'], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`prompts ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    process.exit(1);
  }
}
const bundlePath = path.join(WORK, 'production.bundle.json');
const b = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'prompts.js'), '-C', WORK, 'build', '--env', 'production', '-o', bundlePath], { encoding: 'utf8' });
if (b.status !== 0) {
  console.error(`prompts build failed (${b.status}): ${b.stderr}`);
  process.exit(1);
}

const N = 200_000;
const keys = Array.from({ length: N }, (_, i) => `user-${i}-${(i * 2654435761) >>> 0}`);
const salt = `${ID}@1.5.0`;
let sink = 0;

function perKeyNs(fn, rounds = 7) {
  for (let i = 0; i < 20_000; i++) sink += fn(keys[i % N]); // warm-up
  const runs = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) sink += fn(keys[i]);
    runs.push(((performance.now() - t) * 1e6) / N);
  }
  return median(runs);
}

// --- bucket assignment vs one bare sha256 of the same input ---
const oneShot = crypto.hash;
const bareNs = perKeyNs((k) => (oneShot ? oneShot('sha256', `${salt}:${k}`, 'buffer') : crypto.createHash('sha256').update(`${salt}:${k}`).digest())[0]);
const bucketNs = perKeyNs((k) => bucketOf(salt, k));
const assignNs = perKeyNs((k) => (assignArm(salt, k, 10).arm === 'candidate' ? 1 : 0));
console.log(`baseline  one sha256 of "salt:key" (node:crypto):        ${bareNs.toFixed(0)} ns/key`);
console.log(`bucketOf(salt, key):                                      ${bucketNs.toFixed(0)} ns/key = ${(bucketNs / bareNs).toFixed(2)}x baseline`);
console.log(`assignArm(salt, key, weight) (bucket + arm):              ${assignNs.toFixed(0)} ns/key = ${(assignNs / bareNs).toFixed(2)}x baseline   goal 1 µs: ${assignNs <= 1000 ? 'PASS' : 'FAIL'}`);

// --- get(id, { key }) + render vs get(id) + render (stable arm, no key) ---
const set = await sdk.loadBundle(bundlePath);
const vars = { ticket: 'I was charged twice, please refund', customer_tier: 'pro' };
let candidates = 0;
for (const k of keys.slice(0, 20_000)) {
  const h = set.get(ID, { key: k });
  h.render(vars); // compiles both arms once
  if (h.variant === 'candidate') candidates++;
}
const noKeyNs = perKeyNs(() => set.get(ID).render(vars).messages.length, 5);
const keyedNs = perKeyNs((k) => set.get(ID, { key: k }).render(vars).messages.length, 5);
console.log(`candidate share over 20,000 keys at weight 10: ${((candidates / 20_000) * 100).toFixed(2)}%`);
console.log(`baseline  get(id).render() (stable arm, no key):         ${(noKeyNs / 1000).toFixed(2)} µs/call`);
console.log(`get(id, { key }).render() (bucket, assigned arm):         ${(keyedNs / 1000).toFixed(2)} µs/call = ${(keyedNs / noKeyNs).toFixed(2)}x baseline   goal 10 µs: ${keyedNs <= 10_000 ? 'PASS' : 'FAIL'}`);
if (sink === 0.5) console.log(readFileSync(bundlePath, 'utf8').length);

process.exit(assignNs <= 1000 && keyedNs <= 10_000 ? 0 : 1);
