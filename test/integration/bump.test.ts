import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { prompts, snapshot, today } from './registry-cmd-helpers.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';
import { openRegistry } from '../../src/registry/registry.js';

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

const ID = 'support/triage';
const file = (v: string): string => path.join(reg!.dir, 'prompts', ID, `${v}.yaml`);
const read = (v: string): string => readFileSync(file(v), 'utf8');
const COMMENTED = (v: string): string => `# yaml-language-server: $schema=../../../schemas/prompt.schema.json\n# Team note: keep this short   \n${promptYaml(ID, v).replace('tags: [support]', 'tags: [support]   # used by dashboards')}`;

function gitRegistry(versions = ['1.0.0', '1.2.0']): TempRegistry {
  reg = makeRegistry({ git: true });
  for (const v of versions) reg.write(`prompts/${ID}/${v}.yaml`, COMMENTED(v));
  reg.commitAll('initial');
  return reg;
}

function edit(v: string, from: string, to: string): void {
  const t = read(v);
  expect(t).toContain(from);
  writeFileSync(file(v), t.replace(from, to));
}

const ADD_OPTIONAL = ['    customer_tier: { type: string, enum: [free, pro, enterprise] }', '    customer_tier: { type: string, enum: [free, pro, enterprise] }\n    language: { type: string }'] as const;
const REMOVE_TIER = ['    customer_tier: { type: string, enum: [free, pro, enterprise] }\n', ''] as const;

describe('prompts bump: explicit level (copy of the latest)', () => {
  it('outside git: copies the latest, changing only version, created and changes; comments and layout stay', async () => {
    reg = makeRegistry();
    reg.write(`prompts/${ID}/1.2.0.yaml`, COMMENTED('1.2.0'));
    const r = await prompts(reg.dir, ['bump', ID, 'minor', '-m', 'Tighter wording', '-m', 'Second line: with colon']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('prompts/support/triage/1.3.0.yaml\n');
    const before = COMMENTED('1.2.0').split('\n');
    const after = read('1.3.0').split('\n');
    const expected = before
      .map((l) => (l === 'version: 1.2.0' ? 'version: 1.3.0' : l === 'created: 2026-11-20' ? `created: ${today()}` : l))
      .join('\n')
      .replace('changes:\n  - Initial version', 'changes:\n  - Tighter wording\n  - "Second line: with colon"');
    expect(after.join('\n')).toBe(expected);
    expect(read('1.2.0')).toBe(COMMENTED('1.2.0'));
  });

  it('outside git without a level: exit 2, nothing written', async () => {
    reg = makeRegistry({ prompts: { [ID]: ['1.0.0'] } });
    const before = snapshot(reg.dir);
    const r = await prompts(reg.dir, ['bump', ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not in a git repository');
    expect(snapshot(reg.dir)).toEqual(before);
  });

  it.each([
    ['major', [], '2.0.0'],
    ['patch', [], '1.2.1'],
    ['prerelease', [], '1.2.1-rc.0'],
    ['prerelease', ['--preid', 'beta'], '1.2.1-beta.0'],
    ['premajor', [], '2.0.0-rc.0'],
    ['preminor', ['--preid', 'alpha'], '1.3.0-alpha.0'],
  ])('%s %j after 1.2.0 → %s', async (level, extra, want) => {
    gitRegistry();
    const r = await prompts(reg!.dir, ['--json', 'bump', ID, level, ...extra]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, id: ID, from: '1.2.0', version: want, file: `prompts/${ID}/${want}.yaml`, edited: false, restored: null });
    expect(openRegistry(reg!.dir).loadPrompt(ID, want).value.version).toBe(want);
  });

  it('prerelease twice walks the rc line: 1.2.0 → 1.2.1-rc.0 → 1.2.1-rc.1', async () => {
    gitRegistry();
    await prompts(reg!.dir, ['bump', ID, 'prerelease', '--preid', 'rc']);
    const r = await prompts(reg!.dir, ['bump', ID, 'prerelease', '--preid', 'rc']);
    expect(r.stdout).toBe('prompts/support/triage/1.2.1-rc.1.yaml\n');
    expect(openRegistry(reg!.dir).listVersions(ID)).toEqual(['1.0.0', '1.2.0', '1.2.1-rc.0', '1.2.1-rc.1']);
  });

  it('refuses a --preid that would sort before the latest (1.2.1-rc.0 → 1.2.1-beta.0): exit 2, nothing written', async () => {
    gitRegistry(['1.0.0', '1.2.1-rc.0']);
    const before = snapshot(reg!.dir);
    const r = await prompts(reg!.dir, ['bump', ID, 'prerelease', '--preid', 'beta']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('1.2.1-rc.0 -> 1.2.1-beta.0 would go backwards');
    expect(snapshot(reg!.dir)).toEqual(before);
    const ok = await prompts(reg!.dir, ['bump', ID, 'prerelease', '--preid', 'rc2']);
    expect(ok.stdout).toBe('prompts/support/triage/1.2.1-rc2.0.yaml\n');
  });

  it('with no edit and no level in git: exit 2 "nothing changed since HEAD", nothing written', async () => {
    gitRegistry();
    const before = snapshot(reg!.dir);
    const r = await prompts(reg!.dir, ['bump', ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('nothing changed in prompts/support/triage/1.2.0.yaml since HEAD; edit the latest version or pass a level');
    expect(snapshot(reg!.dir)).toEqual(before);
  });

  it('an uncommitted latest without a level: exit 2 asking to commit or pass a level', async () => {
    gitRegistry();
    reg!.write(`prompts/${ID}/1.3.0.yaml`, COMMENTED('1.3.0'));
    const r = await prompts(reg!.dir, ['bump', ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('is not committed yet');
  });

  it.each([
    [['bump', ID, 'huge'], 'unknown bump level "huge"'],
    [['bump', ID, 'majr'], 'did you mean "major"?'],
    [['bump', ID, 'patch', '--preid', 'rc'], '--preid applies to prerelease levels'],
    [['bump', ID, 'prerelease', '--preid', 'r c'], 'is not a valid prerelease identifier'],
    [['bump', 'support/triag', 'patch'], 'did you mean "support/triage"?'],
    [['bump', 'Bad', 'patch'], 'invalid prompt id'],
    [['bump', ID, 'patch', '-m', ' '], '-m needs a non-empty change description'],
  ])('usage errors exit 2 and write nothing: %j', async (args, msg) => {
    gitRegistry();
    const before = snapshot(reg!.dir);
    const r = await prompts(reg!.dir, args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(msg);
    expect(snapshot(reg!.dir)).toEqual(before);
  });
});

describe('prompts bump: edit the latest, then bump', () => {
  it('computes minor for a new optional input, writes the edit as 1.3.0 and restores 1.2.0 to its committed bytes', async () => {
    gitRegistry();
    const committed = read('1.2.0');
    edit('1.2.0', ...ADD_OPTIONAL);
    const edited = read('1.2.0');
    const r = await prompts(reg!.dir, ['bump', ID]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('prompts/support/triage/1.3.0.yaml\n');
    expect(r.stderr).toContain('1.2.0 -> 1.3.0 (minor, computed from your edit)');
    expect(r.stderr).toContain('minor input "language" was added (optional)');
    expect(r.stderr).toContain('restored prompts/support/triage/1.2.0.yaml');
    expect(read('1.2.0')).toBe(committed);
    expect(read('1.3.0')).toBe(
      edited.replace('version: 1.2.0', 'version: 1.3.0').replace('created: 2026-11-20', `created: ${today()}`).replace('  - Initial version', '  - input "language" was added (optional)'),
    );
    expect(reg!.git('status', '--porcelain')).toBe('?? prompts/support/triage/1.3.0.yaml\n');
  });

  it('computes major for a removed input and patch for a wording change', async () => {
    gitRegistry();
    edit('1.2.0', ...REMOVE_TIER);
    const r = await prompts(reg!.dir, ['--json', 'bump', ID]);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '2.0.0', required: 'major', reasons: ['input "customer_tier" was removed'], edited: true, restored: 'prompts/support/triage/1.2.0.yaml' });
    reg!.commitAll('2.0.0');
    edit('2.0.0', 'You are a support triage assistant.', 'You are a careful support triage assistant.');
    const p = await prompts(reg!.dir, ['--json', 'bump', ID, '-m', 'Wording']);
    expect(JSON.parse(p.stdout)).toMatchObject({ version: '2.0.1', required: 'patch', reasons: ['message 1 (system) text changed'], changes: ['Wording'] });
  });

  it('refuses an explicit level smaller than the edit needs: exit 1, says which level and why, writes nothing', async () => {
    gitRegistry();
    edit('1.2.0', ...REMOVE_TIER);
    const before = snapshot(reg!.dir);
    const r = await prompts(reg!.dir, ['bump', ID, 'minor']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('1.2.0 -> 1.3.0 is a minor bump, but your edit needs a major bump: input "customer_tier" was removed');
    expect(r.stderr).toContain('run "prompts bump support/triage major"');
    expect(snapshot(reg!.dir)).toEqual(before);
    const pre = await prompts(reg!.dir, ['bump', ID, 'prerelease']);
    expect(pre.code).toBe(1);
    expect(pre.stderr).toContain('premajor');
  });

  it('accepts an explicit level larger than needed', async () => {
    gitRegistry();
    edit('1.2.0', ...ADD_OPTIONAL);
    const r = await prompts(reg!.dir, ['--json', 'bump', ID, 'major']);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '2.0.0', required: 'minor', edited: true });
  });

  it('--preid without a level makes a prerelease of the computed level, then continues the rc line', async () => {
    gitRegistry();
    edit('1.2.0', ...REMOVE_TIER);
    const r = await prompts(reg!.dir, ['--json', 'bump', ID, '--preid', 'rc']);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '2.0.0-rc.0', release: 'premajor' });
    reg!.commitAll('rc.0');
    edit('2.0.0-rc.0', 'You are a support triage assistant.', 'You are a careful support triage assistant.');
    const r2 = await prompts(reg!.dir, ['--json', 'bump', ID, '--preid', 'rc']);
    expect(JSON.parse(r2.stdout)).toMatchObject({ version: '2.0.0-rc.1', release: 'prerelease' });
  });

  it('keeps changelog lines the user wrote into the edited file', async () => {
    gitRegistry();
    edit('1.2.0', '  - Initial version', '  - Explain refunds better');
    edit('1.2.0', 'You are a support triage assistant.', 'You triage support tickets.');
    const r = await prompts(reg!.dir, ['--json', 'bump', ID]);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '1.2.1', changes: ['Explain refunds better'] });
  });

  it('an invalid edit is refused with its location (exit 1); nothing written, the edit kept', async () => {
    gitRegistry();
    edit('1.2.0', 'model:\n  provider: offline', 'model:\n  provder: offline');
    const before = snapshot(reg!.dir);
    const r = await prompts(reg!.dir, ['bump', ID]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: prompts\/support\/triage\/1\.2\.0\.yaml:\d+:\d+: /);
    expect(snapshot(reg!.dir)).toEqual(before);
  });

  it('a staged edit is unstaged after the bump (the index must not change an immutable file)', async () => {
    gitRegistry();
    edit('1.2.0', ...ADD_OPTIONAL);
    reg!.git('add', '-A');
    const r = await prompts(reg!.dir, ['bump', ID]);
    expect(r.code, r.stderr).toBe(0);
    expect(reg!.git('status', '--porcelain')).toBe('?? prompts/support/triage/1.3.0.yaml\n');
  });

  it('in 0.x a breaking edit is a minor step (0.3.0 → 0.4.0)', async () => {
    gitRegistry(['0.3.0']);
    edit('0.3.0', ...REMOVE_TIER);
    const r = await prompts(reg!.dir, ['--json', 'bump', ID]);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: '0.4.0', required: 'major' });
  });

  it('the new file exists and the old is restored even when the registry is a sub-folder of the repo', async () => {
    reg = makeRegistry({ git: true, config: null });
    reg.write('sub/reg/prompts.config.yaml', 'providers:\n  offline: { type: echo }\n');
    reg.write(`sub/reg/prompts/${ID}/1.0.0.yaml`, promptYaml(ID, '1.0.0'));
    reg.commitAll();
    const f = path.join(reg.dir, 'sub/reg/prompts', ID, '1.0.0.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace('You are a support triage assistant.', 'Be brief.'));
    const r = await prompts(path.join(reg.dir, 'sub/reg'), ['bump', ID]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(reg.dir, 'sub/reg/prompts', ID, '1.0.1.yaml'))).toBe(true);
    expect(readFileSync(f, 'utf8')).toBe(promptYaml(ID, '1.0.0'));
  });
});

describe('prompts bump: CRLF checkouts (core.autocrlf, Git for Windows default)', () => {
  it('an unedited CRLF checkout is not an edit, and the restored latest keeps the checkout bytes', async () => {
    gitRegistry();
    reg!.git('config', 'core.autocrlf', 'true');
    rmSync(file('1.2.0'));
    reg!.git('checkout', '--', `prompts/${ID}/1.2.0.yaml`);
    const crlf = read('1.2.0');
    expect(crlf).toContain('\r\n');
    const before = snapshot(reg!.dir);
    const none = await prompts(reg!.dir, ['bump', ID]);
    expect(none.code, none.stderr).toBe(2);
    expect(none.stderr).toContain('nothing changed');
    expect(snapshot(reg!.dir)).toEqual(before);
    edit('1.2.0', ...ADD_OPTIONAL);
    const r = await prompts(reg!.dir, ['bump', ID]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('prompts/support/triage/1.3.0.yaml\n');
    expect(read('1.2.0')).toBe(crlf);
  });
});

describe('prompts bump / new: the path on stdout', () => {
  it('is relative to the folder the command runs in (a sub-folder of the registry), so $EDITOR "$(prompts bump …)" works', async () => {
    gitRegistry();
    const sub = path.join(reg!.dir, 'prompts', ID);
    const b = await prompts(sub, ['bump', ID, 'patch']);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toBe('1.2.1.yaml\n');
    expect(existsSync(path.join(sub, b.stdout.trim()))).toBe(true);
    const n = await prompts(sub, ['new', 'other/thing']);
    expect(n.code, n.stderr).toBe(0);
    expect(n.stdout).toBe('../../other/thing/1.0.0.yaml\n');
    expect(existsSync(path.join(sub, n.stdout.trim()))).toBe(true);
  });
});

describe('prompts bump: older versions', () => {
  it('warns when an older version file was edited (immutability), and still bumps the latest', async () => {
    gitRegistry();
    edit('1.0.0', 'You are a support triage assistant.', 'Edited old version.');
    const r = await prompts(reg!.dir, ['bump', ID, 'patch']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('warning: prompts/support/triage/1.0.0.yaml differs from HEAD; version files are immutable');
    expect(read('1.2.1')).toContain('version: 1.2.1');
  });
});
