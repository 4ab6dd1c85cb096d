// Benchmark: what approvals cost a promote's read of the environment file (SPEC §15): the
// approvals section after the pins is read by the one-pin fast path too (env-canonical.ts,
// env-view.ts). Measured in this one run, interleaved: one pin of a 1,000-pin file without
// approvals (the fast path promote uses), the same with an approvals section, and the whole file
// with it (fast reader, then the full YAML reader + schema). Ratios to the first.
// BENCH_ROUNDS (default 30) rounds.
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = (m) => import(path.join(here, '..', 'dist', m));
const { serializeEnv, fastParseEnv, envShapeOk } = await dist('registry/env-store.js');
const { pinViewOfText } = await dist('registry/env-view.js');
const { recordHistory } = await dist('core/env-chain.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PINS = 1000;

const sha = (i) => i.toString(16).padStart(64, '0');
const prompts = {};
for (let i = 0; i < PINS; i++) {
  let history = [];
  for (let k = 0; k < 5; k++) history = recordHistory(history, { action: 'promote', version: `1.${k}.0`, from: k ? `1.${k - 1}.0` : null, sha256: sha(i * 10 + k), at: '2026-12-01T10:00:00Z', by: 'Carl <carl@example.com>' }, 50);
  prompts[`team${i % 10}/p${String(i).padStart(4, '0')}`] = { version: '1.4.0', sha256: sha(i * 10 + 4), previous: '1.3.0', promoted_at: '2026-12-01T10:00:00Z', promoted_by: 'Carl <carl@example.com>', history };
}
const plain = serializeEnv({ environment: 'production', prompts });
const withApprovals = serializeEnv({ environment: 'production', prompts, approvals: { 'team0/p0000@1.5.0': [{ by: 'Bo <bo@example.com>', at: '2026-12-01T09:00:00Z', sha256: sha(1) }] } });

const cases = {
  'one pin, no approvals (fast path)': () => pinViewOfText(plain, 'team0/p0000'),
  'one pin, with approvals (fast path)': () => pinViewOfText(withApprovals, 'team0/p0000'),
  'whole file with approvals (fast reader)': () => envShapeOk(fastParseEnv(withApprovals)),
  'whole file with approvals (YAML + schema)': async () => {
    const { parseYaml } = await dist('registry/yaml.js');
    const { getValidator } = await dist('registry/schemas.js');
    return getValidator('environment')(parseYaml(withApprovals).value);
  },
};
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [k, fn] of Object.entries(cases)) {
    const t = process.hrtime.bigint();
    await fn();
    times[k].push(Number(process.hrtime.bigint() - t) / 1e6);
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
const base = median(times['one pin, no approvals (fast path)']);
for (const [k, a] of Object.entries(times)) console.log(`${k.padEnd(46)} median ${median(a).toFixed(2)} ms  ${(median(a) / base).toFixed(1)}x`);
