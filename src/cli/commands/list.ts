/**
 * `prompts list`: every prompt with its latest version and each environment's pinned version.
 * Prompts pinned in an environment whose folder is gone are listed too (latest `-`), so a
 * deleted prompt that production still uses is never invisible.
 */
import * as path from 'node:path';
import { writeJson, type CommandContext, type NoOptions } from '../ui.js';
import { openRegistry } from '../../registry/registry.js';
import { latestStable } from '../../core/status.js';
import { latestCell } from '../reporters/status-text.js';
import { safeText } from '../../core/escape.js';
import { own } from '../../core/own.js';

export interface ListEntry {
  id: string;
  latest: string | null;
  /** the latest version that is not a prerelease */
  latest_stable: string | null;
  versions: string[];
  environments: Record<string, string | null>;
  /** per environment with a running rollout: its candidate and weight */
  rollouts: Record<string, { version: string; weight: number }>;
}

export async function run(ctx: CommandContext, _args: string[], _opts: NoOptions): Promise<number> {
  const reg = openRegistry(ctx.cwd);
  const envs = reg.config.environmentOrder;
  const pins = new Map<string, Record<string, { version: string; rollout?: { version: string; weight: number } }>>();
  for (const env of envs) pins.set(env, reg.loadEnv(env).value.prompts);
  const invalid: string[] = [];
  const ids = new Set(reg.listPromptIds(invalid));
  for (const f of invalid) ctx.warn(`warning: skipped the folder ${reg.rel(path.join(reg.promptsDir, ...f.split('/')))}: "${f}" is not a valid prompt id (run "prompts validate")`);
  for (const p of pins.values()) for (const id of Object.keys(p)) ids.add(id);

  const entries: ListEntry[] = [...ids].sort().map((id) => {
    const versions = reg.listVersions(id);
    const environments: Record<string, string | null> = {};
    const rollouts: ListEntry['rollouts'] = {};
    for (const env of envs) {
      const pin = own(pins.get(env), id);
      environments[env] = pin?.version ?? null;
      if (pin?.rollout) rollouts[env] = { version: pin.rollout.version, weight: pin.rollout.weight };
    }
    return { id, latest: versions[versions.length - 1] ?? null, latest_stable: latestStable(versions), versions, environments, rollouts };
  });

  if (ctx.json) {
    writeJson(ctx, { prompts: entries });
    return 0;
  }
  if (entries.length === 0) {
    ctx.info('no prompts yet; create one with "prompts new <id>"');
    return 0;
  }
  const header = ['ID', 'LATEST', ...envs.map((e) => safeText(e.toUpperCase()))];
  const cell = (e: ListEntry, env: string): string => {
    const r = e.rollouts[env];
    return `${e.environments[env] ?? '-'}${r ? ` +${r.version}@${r.weight}%` : ''}`;
  };
  const rows = entries.map((e) => [e.id, latestCell(e.latest, e.latest_stable), ...envs.map((env) => cell(e, env))].map(safeText));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const c = await ctx.c();
  ctx.stdout.write(`${c.bold(fmt(header))}\n`);
  for (const r of rows) ctx.stdout.write(`${fmt(r)}\n`);
  return 0;
}
