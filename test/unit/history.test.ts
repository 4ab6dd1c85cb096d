import { describe, it, expect } from 'vitest';
import { mergeHistory, type CommitFacts } from '../../src/core/history.js';
import { parseEnvCommit } from '../../src/git/log.js';
import type { HistoryEntry } from '../../src/core/types.js';

const entry = (action: 'promote' | 'rollback', version: string, from: string | null, at: string, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({ action, version, from, at, by: 'Ana <ana@x>', ...extra });
const commit = (hash: string, env: string, action: 'promote' | 'rollback', from: string | null, to: string, date: string, id = 'a'): CommitFacts =>
  parseEnvCommit(hash, 'Ana <ana@x>', date, `prompts(${env}): ${action} ${id} ${from ?? 'none'} -> ${to}`, 'Reason: from git\nEval: pass rate 1 (2/2 cases)');

describe('mergeHistory', () => {
  it('matches entries with their commits, keeps entries without commits and commits without entries, newest first', () => {
    const rows = mergeHistory(
      'a',
      [
        { env: 'development', entries: [entry('promote', '1.1.0', '1.0.0', '2026-11-22T10:05:00Z', { reason: 'r2' }), entry('promote', '1.0.0', null, '2026-11-22T10:00:00Z')] },
        { env: 'staging', entries: [entry('promote', '1.0.0', null, '2026-11-22T10:10:00Z', { skip_eval: true })] },
      ],
      [
        commit('c3', 'staging', 'promote', null, '1.0.0', '2026-11-22T10:10:01+00:00'),
        commit('c2', 'development', 'promote', '1.0.0', '1.1.0', '2026-11-22T10:05:01+00:00'),
        commit('cx', 'development', 'promote', '1.0.0', '1.1.0', '2026-11-22T10:05:00+00:00', 'other-prompt'),
        // an older commit whose entry was dropped by history_limit
        commit('c0', 'development', 'rollback', '0.9.0', '0.8.0', '2026-11-21T09:00:00+00:00'),
      ],
    );
    expect(rows.map((r) => [r.env, r.action, r.from, r.to, r.commit?.hash ?? null, r.source])).toEqual([
      ['staging', 'promote', null, '1.0.0', 'c3', 'both'],
      ['development', 'promote', '1.0.0', '1.1.0', 'c2', 'both'],
      ['development', 'promote', null, '1.0.0', null, 'env-file'],
      ['development', 'rollback', '0.9.0', '0.8.0', 'c0', 'git'],
    ]);
    expect(rows[0]!.skipEval).toBe(true);
    expect(rows[1]!.reason).toBe('r2');
    expect(rows[3]!.reason).toBe('from git');
    expect(rows[3]!.evalText).toBe('pass rate 1 (2/2 cases)');
  });

  it('picks the commit nearest in time when the same change happened twice', () => {
    const rows = mergeHistory(
      'a',
      [{ env: 'd', entries: [entry('promote', '1.0.0', null, '2026-11-22T12:00:00Z')] }],
      [commit('late', 'd', 'promote', null, '1.0.0', '2026-11-22T12:00:02+00:00'), commit('early', 'd', 'promote', null, '1.0.0', '2026-11-20T12:00:00+00:00')],
    );
    expect(rows.map((r) => r.commit?.hash)).toEqual(['late', 'early']);
  });
});

describe('parseEnvCommit', () => {
  it('parses the subject and trailers; other commits are not env commits', () => {
    const c = parseEnvCommit('h', 'A', 'd', 'prompts(production): rollback support/triage 1.2.0 -> 1.1.0', 'Reason: latency\nPrompt: support/triage');
    expect(c).toMatchObject({ env: 'production', action: 'rollback', id: 'support/triage', from: '1.2.0', to: '1.1.0', reason: 'latency', eval: null });
    expect(parseEnvCommit('h', 'A', 'd', 'fix typo', '')).toMatchObject({ env: null, action: null, id: null });
  });
});
