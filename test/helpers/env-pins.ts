/**
 * Environment files as promptrail writes them, for tests that set one up by hand: every pin's
 * history is one promote entry recording exactly the pin's fields, chained (core/env-chain.ts),
 * so validate, status, build and promote take it as promptrail's own.
 */
import { migrateHistory } from '../../src/core/env-chain.js';
import { serializeEnv } from '../../src/registry/env-serialize.js';
import type { EnvPin, EvalSummary } from '../../src/core/types.js';

export interface PinSpec {
  version: string;
  sha256: string;
  previous?: string | null;
  promoted_at?: string;
  promoted_by?: string;
  reason?: string;
  eval?: EvalSummary;
}

/** A pin whose one history entry (promote `previous` -> `version`) recorded exactly its fields. */
export function writtenPin(p: PinSpec): EnvPin {
  const at = p.promoted_at ?? '2026-11-22T10:04:11Z';
  const by = p.promoted_by ?? 'Ana <ana@example.com>';
  const previous = p.previous ?? null;
  const entry = { action: 'promote' as const, version: p.version, from: previous, sha256: p.sha256, at, by, ...(p.reason !== undefined ? { reason: p.reason } : {}), ...(p.eval ? { eval: p.eval } : {}) };
  return { version: p.version, sha256: p.sha256, previous, promoted_at: at, promoted_by: by, ...(p.reason !== undefined ? { reason: p.reason } : {}), ...(p.eval ? { eval: p.eval } : {}), history: migrateHistory([entry]) as EnvPin['history'] };
}

/** The bytes of environments/<env>.yaml pinning `pins` as promptrail would have written them. */
export function writtenEnv(env: string, pins: Record<string, PinSpec>): string {
  return serializeEnv({ environment: env, prompts: Object.fromEntries(Object.entries(pins).map(([id, p]) => [id, writtenPin(p)])) });
}
