/**
 * `prompts rollout status [<id>] [--env <env>] [--key <key>]`: the running rollouts, their
 * weights, stages and candidate buckets; with --key, the arm that key gets (the SDK's assignment).
 * Exit 0, or 1 when a candidate's file is missing or changed (like `prompts status`).
 */
import * as fs from 'node:fs';
import type { CommandContext } from '../ui.js';
import { writeJson } from '../ui.js';
import { UsageError } from '../../errors.js';
import { openRegistry } from '../../registry/registry.js';
import { readEnvSnapshot } from '../../registry/env-store.js';
import { contentSha256 } from '../../registry/files.js';
import { idProblem } from '../../core/ref.js';
import { rolloutRows, type RolloutRow } from '../../core/rollout-status.js';
import { safeText as t } from '../../core/escape.js';

export interface RolloutStatusOptions {
  env?: string;
  key?: string;
}

export async function run(ctx: CommandContext, args: string[], opts: RolloutStatusOptions): Promise<number> {
  const id = args[0];
  if (id !== undefined) {
    const p = idProblem(id);
    if (p) throw new UsageError(`invalid prompt id "${id}": ${p}`);
  }
  const registry = openRegistry(ctx.cwd);
  if (opts.env !== undefined) registry.assertEnv(opts.env);
  const names = opts.env !== undefined ? [opts.env] : registry.config.environmentOrder;
  const envs = names.map((name) => ({ name, file: readEnvSnapshot(registry, name).value }));
  const rows = rolloutRows(envs, {
    id,
    key: opts.key,
    candidateSha: (pid, version) => {
      try {
        return contentSha256(fs.readFileSync(registry.versionPath(pid, version)));
      } catch {
        return null;
      }
    },
  });
  const broken = rows.filter((r) => r.flags.length > 0).length;
  if (ctx.json) writeJson(ctx, { ok: broken === 0, environments: names, rollouts: rows });
  else ctx.stdout.write(renderRolloutStatus(rows, { id, env: opts.env }));
  return broken > 0 ? 1 : 0;
}

const FLAG: Record<RolloutRow['flags'][number], string> = { 'candidate-missing': 'CANDIDATE FILE MISSING', 'candidate-sha-mismatch': 'CANDIDATE SHA256 MISMATCH' };

export function renderRolloutStatus(rows: RolloutRow[], o: { id?: string; env?: string }): string {
  if (rows.length === 0) return `no rollout running${o.id ? ` of ${t(o.id)}` : ''}${o.env ? ` in ${t(o.env)}` : ''}\n`;
  const out: string[] = [];
  for (const r of rows) {
    out.push(`${t(r.id)}  ${t(r.env)}  ${t(r.stable)} -> ${t(r.candidate)}  ${r.weight}% on the candidate${r.flags.length ? `  (${r.flags.map((f) => FLAG[f]).join(', ')})` : ''}`);
    out.push(`    stages: ${r.stages ? r.stages.map((s) => (s === r.weight ? `[${s}%]` : `${s}%`)).join(' -> ') : 'none'}${r.next !== null ? `; next ${r.next}%` : r.stages ? '; at the last stage (complete it)' : ''}`);
    out.push(`    started ${t(r.started_at)} by ${t(r.started_by)}; weight set ${t(r.updated_at)}`);
    out.push(`    salt "${t(r.salt)}": buckets ${r.buckets.from < 10000 ? `${r.buckets.from}–${r.buckets.to}` : 'none'} of 0–9999 get ${t(r.candidate)}`);
    if (r.key) out.push(`    key "${t(r.key.key)}": bucket ${r.key.bucket} -> ${r.key.arm} (${t(r.key.version)})`);
  }
  return `${out.join('\n')}\n`;
}
