/**
 * `rollout status` as data: every running rollout (of one prompt, in one environment or all),
 * with its next stage, the buckets the candidate owns and, for a `--key`, the arm that key gets
 * (core/bucket.ts: the same assignment as the SDK). Pure: the command supplies the candidate
 * files' current sha256.
 */
import { assignArm, BUCKETS, candidateFrom, type Arm } from './bucket.js';
import { nextStage } from './rollout.js';
import type { EnvironmentFile, EvalSummary } from './types.js';

export interface RolloutRow {
  id: string;
  env: string;
  stable: string;
  candidate: string;
  weight: number;
  stages: number[] | null;
  /** the stage `advance` goes to; null at the last stage or without stages */
  next: number | null;
  salt: string;
  /** the candidate's buckets: from…9999 (from = 10000: none) */
  buckets: { from: number; to: number };
  started_at: string;
  started_by: string;
  updated_at: string;
  eval: EvalSummary | null;
  /** the candidate's file is gone or its bytes changed since the rollout started */
  flags: ('candidate-missing' | 'candidate-sha-mismatch')[];
  /** with --key: its bucket and arm */
  key?: { key: string; bucket: number; arm: Arm; version: string };
}

export function rolloutRows(
  envs: readonly { name: string; file: EnvironmentFile }[],
  o: { id?: string; key?: string; candidateSha: (id: string, version: string) => string | null },
): RolloutRow[] {
  const rows: RolloutRow[] = [];
  for (const { name, file } of envs) {
    for (const id of Object.keys(file.prompts).sort()) {
      if (o.id !== undefined && id !== o.id) continue;
      const pin = file.prompts[id]!;
      const r = pin.rollout;
      if (!r) continue;
      const sha = o.candidateSha(id, r.version);
      const row: RolloutRow = {
        id,
        env: name,
        stable: pin.version,
        candidate: r.version,
        weight: r.weight,
        stages: r.stages ?? null,
        next: nextStage(r),
        salt: r.salt,
        buckets: { from: candidateFrom(r.weight), to: BUCKETS - 1 },
        started_at: r.started_at,
        started_by: r.started_by,
        updated_at: r.updated_at,
        eval: r.eval ?? null,
        flags: sha === null ? ['candidate-missing'] : sha !== r.sha256 ? ['candidate-sha-mismatch'] : [],
      };
      if (o.key !== undefined) {
        const a = assignArm(r.salt, o.key, r.weight);
        row.key = { key: o.key, bucket: a.bucket, arm: a.arm, version: a.arm === 'candidate' ? r.version : pin.version };
      }
      rows.push(row);
    }
  }
  return rows;
}
