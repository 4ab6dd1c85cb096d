import { describe, it, expect } from 'vitest';
import { buildStatus, isBehind } from '../../src/core/status.js';
import { renderStatusText } from '../../src/cli/reporters/status-text.js';
import { Chalk } from 'chalk';
import type { EnvironmentFile, EnvPin } from '../../src/core/types.js';
import { migrateHistory } from '../../src/core/env-chain.js';

/** a pin as promptrail writes it: `history` the versions promoted (newest first), its fields what the newest recorded */
const pin = (version: string, sha: string, history: string[] = [version]): EnvPin => ({
  version,
  sha256: sha,
  previous: history[1] ?? null,
  promoted_at: '2026-11-22T10:00:00Z',
  promoted_by: 'Ana',
  history: migrateHistory(history.map((v, i) => ({ action: 'promote' as const, version: v, from: history[i + 1] ?? null, ...(i === 0 ? { sha256: sha } : {}), at: '2026-11-22T10:00:00Z', by: 'Ana' }))) as EnvPin['history'],
});
const env = (name: string, prompts: Record<string, EnvPin>): EnvironmentFile => ({ environment: name, prompts });
const SHAS: Record<string, string> = { 'a@1.0.0': 'A1', 'a@1.1.0': 'A2', 'b@1.0.0': 'B1' };

describe('buildStatus', () => {
  const report = buildStatus({
    prompts: [
      { id: 'a', versions: ['1.0.0', '1.1.0'] },
      { id: 'b', versions: ['1.0.0'] },
      { id: 'c', versions: ['1.0.0'] },
    ],
    environments: [
      { name: 'development', file: env('development', { a: pin('1.1.0', 'A2', ['1.1.0', '1.0.0']), b: pin('1.0.0', 'CHANGED') }) },
      { name: 'staging', requires: 'development', file: env('staging', { a: pin('1.0.0', 'A1'), gone: pin('1.0.0', 'X') }) },
      { name: 'production', requires: 'staging', file: env('production', { a: pin('1.1.0', 'A2'), b: pin('1.0.0', 'B1') }) },
    ],
    fileSha: (id, v) => SHAS[`${id}@${v}`] ?? null,
  });
  const cell = (id: string, e: string) => report.prompts.find((p) => p.id === id)!.environments[e]!;

  it('lists every prompt (and pins of unknown prompts) with its latest version', () => {
    expect(report.prompts.map((p) => [p.id, p.latest])).toEqual([
      ['a', '1.1.0'],
      ['b', '1.0.0'],
      ['c', '1.0.0'],
      ['gone', null],
    ]);
    expect(cell('c', 'development')).toEqual({ version: null, sha256: null, flags: [], rollout: null });
  });
  it('flags behind latest, sha256 mismatch, unknown prompt, and pinned downstream but not upstream', () => {
    expect(cell('a', 'development').flags).toEqual([]);
    expect(cell('a', 'staging').flags).toEqual(['behind']);
    expect(cell('b', 'development').flags).toEqual(['sha-mismatch']);
    // a deleted prompt's pin is a missing file (not an unknown prompt to create)
    expect(cell('gone', 'staging').flags).toEqual(['missing', 'not-upstream']);
    expect(cell('a', 'production').flags).toEqual(['not-upstream']);
    expect(cell('b', 'production').flags).toEqual(['not-upstream']);
  });
  it('counts broken pins', () => {
    expect(report.broken).toBe(2);
  });
  it('a missing pinned file is broken', () => {
    const r = buildStatus({ prompts: [{ id: 'a', versions: ['1.0.0'] }], environments: [{ name: 'd', file: env('d', { a: pin('1.0.0', 'A1') }) }], fileSha: () => null });
    expect(r.prompts[0]!.environments.d!.flags).toEqual(['missing']);
    expect(r.broken).toBe(1);
  });
  it('renders an aligned table', () => {
    const text = renderStatusText(report, new Chalk({ level: 0 }));
    const lines = text.split('\n');
    expect(lines[0]!.split(/\s+/)).toEqual(['prompt', 'latest', 'development', 'staging', 'production']);
    const a = lines[1]!;
    expect(a.startsWith('a ')).toBe(true);
    // columns line up: each cell starts where its header starts
    expect(a.indexOf('1.0.0 (behind)')).toBe(lines[0]!.indexOf('staging'));
    expect(a.indexOf('1.1.0 (not upstream)')).toBe(lines[0]!.indexOf('production'));
    expect(lines[2]!.indexOf('1.0.0 (SHA256 MISMATCH)')).toBe(lines[0]!.indexOf('development'));
    expect(text).toContain('2 broken pins');
  });
  it('a newer prerelease does not make a stable pin behind; a prerelease pin is behind anything later', () => {
    const versions = ['1.0.0', '1.1.0', '1.2.0-rc.1'];
    const r = buildStatus({
      prompts: [{ id: 'a', versions }],
      environments: [
        { name: 'production', file: env('production', { a: pin('1.1.0', 'S') }) },
        { name: 'staging', file: env('staging', { a: pin('1.0.0', 'O') }) },
        { name: 'canary', file: env('canary', { a: pin('1.2.0-rc.1', 'R') }) },
      ],
      fileSha: (_id, v) => ({ '1.1.0': 'S', '1.0.0': 'O', '1.2.0-rc.1': 'R' })[v] ?? null,
    });
    const row = r.prompts[0]!;
    expect(row).toMatchObject({ latest: '1.2.0-rc.1', latest_stable: '1.1.0' });
    expect(row.environments.production!.flags).toEqual([]);
    expect(row.environments.staging!.flags).toEqual(['behind']);
    expect(row.environments.canary!.flags).toEqual([]);
    expect(isBehind('1.2.0-rc.1', [...versions, '1.2.0-rc.2'])).toBe(true);
    expect(isBehind('1.2.0-rc.1', [...versions, '1.2.0'])).toBe(true);
    expect(isBehind('1.1.0', ['1.1.0', '2.0.0-beta.1'])).toBe(false);
    const text = renderStatusText(r, new Chalk({ level: 0 }));
    expect(text.split('\n')[1]).toMatch(/^a\s+1\.1\.0 \(\+1\.2\.0-rc\.1\)\s+1\.1\.0\s+1\.0\.0 \(behind\)\s+1\.2\.0-rc\.1$/);
  });
});
