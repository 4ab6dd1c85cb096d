import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runValidate, type EngineOptions } from '../../src/validate/engine.js';
import { registriesPerTest, promptYaml, type TempRegistry } from '../helpers/registry.js';
import { UsageError } from '../../src/errors.js';
import { writtenEnv } from '../helpers/env-pins.js';

const reg = registriesPerTest();
const sha = (s: string | Buffer): string => createHash('sha256').update(s).digest('hex');

/** an environment file as promptrail writes it (chained history), without the header comment (lines as before) */
function envYaml(env: string, pins: Record<string, { version: string; sha256: string; previous?: string | null }>): string {
  return writtenEnv(env, pins).split('\n').slice(1).join('\n');
}

function validate(r: TempRegistry, o: Partial<EngineOptions> = {}) {
  return runValidate({ root: r.dir, cwd: r.dir, paths: [], staged: false, cache: false, toolVersion: 'test', workers: 0, ...o });
}
const brief = (res: Awaited<ReturnType<typeof validate>>) => [...res.errors, ...res.warnings].map((p) => `${p.file}:${p.line}:${p.column} ${p.rule}`).sort();

/** a registry with support/triage 1.0.0 + 1.1.0, pinned in production at 1.1.0 (previous 1.0.0) */
function pinnedRegistry(git = false): TempRegistry {
  const r = reg({ git, prompts: { 'support/triage': ['1.0.0', '1.1.0'], summarize: ['1.0.0'] } });
  const v11 = fs.readFileSync(path.join(r.dir, 'prompts/support/triage/1.1.0.yaml'));
  r.write('environments/production.yaml', envYaml('production', { 'support/triage': { version: '1.1.0', sha256: sha(v11), previous: '1.0.0' } }));
  r.write('prompts/support/triage/evals.yaml', 'cases:\n  - name: a\n    vars: { ticket: x }\n    assert:\n      - { type: contains, value: x }\n');
  return r;
}

describe('validate engine: whole registry', () => {
  it('a clean registry passes and counts its files', async () => {
    const r = pinnedRegistry();
    const res = await validate(r);
    expect(brief(res)).toEqual([]);
    expect(res.ok).toBe(true);
    expect(res.files).toBe(6);
  });

  it('a pinned version whose bytes changed fails at the pin (immutability)', async () => {
    const r = pinnedRegistry();
    r.write('prompts/support/triage/1.1.0.yaml', promptYaml('support/triage', '1.1.0').replace('Classify', 'Sort'));
    const res = await validate(r);
    expect(brief(res)).toEqual(['environments/production.yaml:5:13 pin-sha-mismatch']);
    expect(res.errors[0]!.message).toMatch(/changed after it was promoted to production.*prompts bump/);
    // `git checkout -- f` restores from the index, which holds the edit once it is staged
    expect(res.errors[0]!.message).toContain('git restore --source=HEAD --staged --worktree -- prompts/support/triage/1.1.0.yaml');
  });

  it('a pin to a missing version or prompt fails; a missing previous version warns', async () => {
    const r = pinnedRegistry();
    r.write('environments/staging.yaml', envYaml('staging', { 'support/triage': { version: '2.0.0', sha256: 'a'.repeat(64) }, 'support/triag': { version: '1.0.0', sha256: 'a'.repeat(64) } }));
    fs.rmSync(path.join(r.dir, 'prompts/support/triage/1.0.0.yaml'));
    const res = await validate(r);
    expect(brief(res)).toEqual(['environments/production.yaml:6:15 pin-previous-missing', 'environments/staging.yaml:12:14 pin-missing-version', 'environments/staging.yaml:4:14 pin-missing-version']);
    expect(res.errors.find((e) => e.line === 4)!.message).toMatch(/"support\/triag", which does not exist; did you mean "support\/triage"/);
  });

  it('suite case vars are checked against the inputs of the versions each case applies to', async () => {
    const r = pinnedRegistry();
    r.write('prompts/support/triage/2.0.0.yaml', promptYaml('support/triage', '2.0.0').replace('required: [ticket]', 'required: [ticket, customer_tier]'));
    r.write(
      'prompts/support/triage/evals.yaml',
      'defaults:\n  vars: { ticket: x }\ncases:\n  - name: typo\n    vars: { custmer_tier: pro }\n  - name: old only\n    versions: "<2.0.0"\n    vars: { ticket: y }\n  - name: all\n    vars: { ticket: z }\n',
    );
    const res = await validate(r);
    expect(res.errors).toEqual([]);
    expect(res.warnings.map((w) => `${w.line}:${w.column} ${w.rule} ${w.message}`)).toEqual([
      '4:11 suite-var-missing case "typo" does not provide required input "customer_tier" of version 2.0.0; add it to vars (or defaults.vars), or limit the case with "versions:"',
      '5:13 suite-var-undeclared case "typo" passes "custmer_tier", which no version it applies to declares in its inputs; did you mean "customer_tier"? (eval would reject it)',
      '9:11 suite-var-missing case "all" does not provide required input "customer_tier" of version 2.0.0; add it to vars (or defaults.vars), or limit the case with "versions:"',
    ]);
  });

  it('finds structural problems: .yml, stray and misnamed files, duplicate ids and versions, directories, symlinks out, orphan suites', async () => {
    const r = reg({ prompts: { 'support/triage': ['1.0.0'], 'Support/triage': ['1.0.0'] } });
    r.write('prompts/support/triage/1.0.0.yml', promptYaml('support/triage', '1.0.0'));
    r.write('prompts/support/triage/2.0.0.yml', promptYaml('support/triage', '2.0.0'));
    r.write('prompts/support/triage/latest.yaml', 'x: 1\n');
    r.write('prompts/support/triage/1.0.0+build.5.yaml', promptYaml('support/triage', '1.0.0+build.5'));
    r.write('prompts/stray.yaml', 'x: 1\n');
    r.write('prompts/empty-folder/evals.yaml', 'cases: []\n');
    r.write('environments/production.yml', 'environment: production\nprompts: {}\n');
    fs.mkdirSync(path.join(r.dir, 'prompts/support/triage/3.0.0.yaml'));
    fs.symlinkSync('/etc/hostname', path.join(r.dir, 'prompts/support/triage/4.0.0.yaml'));
    fs.symlinkSync('/tmp', path.join(r.dir, 'prompts/linked'));
    const res = await validate(r);
    expect(brief(res)).toEqual([
      'environments/production.yml:1:1 file-extension',
      'prompts/Support/triage/1.0.0.yaml:1:1 duplicate-id',
      'prompts/Support/triage/1.0.0.yaml:1:5 id-invalid',
      'prompts/Support/triage/1.0.0.yaml:1:5 schema-invalid',
      'prompts/empty-folder/evals.yaml:1:1 suite-orphan',
      'prompts/linked:1:1 file-outside-registry',
      'prompts/stray.yaml:1:1 stray-file',
      'prompts/support/triage/1.0.0+build.5.yaml:1:1 version-filename',
      'prompts/support/triage/1.0.0.yaml:1:1 duplicate-id',
      'prompts/support/triage/1.0.0.yml:1:1 duplicate-version',
      'prompts/support/triage/2.0.0.yml:1:1 file-extension',
      'prompts/support/triage/3.0.0.yaml:1:1 file-not-regular',
      'prompts/support/triage/4.0.0.yaml:1:1 duplicate-id',
      'prompts/support/triage/4.0.0.yaml:1:1 file-outside-registry',
      'prompts/support/triage/latest.yaml:1:1 version-filename',
    ]);
    expect(res.errors.find((e) => e.rule === 'duplicate-id')!.message).toMatch(/collides with "support\/triage" on case-insensitive file systems/);
  });

  it('git conflict markers are found in the config, suites and environment files', async () => {
    const r = pinnedRegistry();
    const cfg = fs.readFileSync(path.join(r.dir, 'prompts.config.yaml'), 'utf8');
    r.write('prompts.config.yaml', `${cfg}<<<<<<< HEAD\neval: { retries: 1 }\n=======\neval: { retries: 2 }\n>>>>>>> other\n`);
    r.write('prompts/support/triage/evals.yaml', 'cases:\n<<<<<<< ours\n  - name: a\n=======\n  - name: b\n>>>>>>> theirs\n');
    r.write('environments/staging.yaml', 'environment: staging\n<<<<<<< ours\nprompts: {}\n=======\nprompts: { }\n>>>>>>> theirs\n');
    const res = await validate(r);
    expect(brief(res)).toEqual([
      'environments/staging.yaml:2:1 conflict-marker',
      `prompts.config.yaml:${cfg.split('\n').length}:1 conflict-marker`,
      'prompts/support/triage/evals.yaml:2:1 conflict-marker',
    ]);
    expect(res.configError).toBe(true);
  });

  it('an invalid config is reported precisely as a config error', async () => {
    const r = pinnedRegistry();
    r.write('prompts.config.yaml', 'prompts_dir: prompts\nenvironmnts: {}\n');
    const res = await validate(r);
    expect(res.configError).toBe(true);
    expect(res.errors[0]).toMatchObject({ file: 'prompts.config.yaml', line: 2, column: 1, rule: 'schema-unknown-key' });
    expect(res.errors[0]!.message).toMatch(/did you mean "environments"/);
  });

  it('a config moving the folders outside the registry is a config error, and nothing outside is listed', async () => {
    const r = pinnedRegistry();
    r.write('prompts.config.yaml', 'prompts_dir: ../../\nenvironments_dir: /etc\n');
    const res = await validate(r);
    expect(res.configError).toBe(true);
    expect(brief(res)).toEqual(['prompts.config.yaml:1:14 config-dir-invalid', 'prompts.config.yaml:2:19 config-dir-invalid']);
    expect(res.checked).toEqual(['prompts.config.yaml']);
  });

  it('paths restrict the run to those files or folders (plus the env files pinning them)', async () => {
    const r = pinnedRegistry();
    r.write('prompts/summarize/1.0.0.yaml', 'broken: [\n');
    r.write('prompts/support/triage/1.1.0.yaml', promptYaml('support/triage', '1.1.0').replace('Classify', 'Sort'));
    const one = await validate(r, { paths: ['prompts/summarize'] });
    expect(brief(one)).toEqual(['prompts/summarize/1.0.0.yaml:2:1 yaml-syntax']);
    r.write('README.md', '# notes\n');
    const ignored: string[] = [];
    const two = await validate(r, { paths: ['prompts/support/triage/1.1.0.yaml', 'README.md', '..'], onIgnoredPath: (p) => ignored.push(p) });
    expect(brief(two)).toEqual(['environments/production.yaml:5:13 pin-sha-mismatch']);
    expect(ignored).toEqual(['..']);
    await expect(validate(r, { paths: ['prompts/nope'] })).rejects.toThrow(UsageError);
    // a path that does not exist is a typo, inside the registry or not: never "0 errors"
    await expect(validate(r, { paths: ['../no-such-file.yaml'] })).rejects.toThrow(/no such file or folder: \.\.\/no-such-file\.yaml/);
  });
});

describe('validate engine: cache', () => {
  const cacheFile = (r: TempRegistry) => path.join(r.dir, '.prompts/cache/validate.json');
  const inject = (r: TempRegistry, rel: string) => {
    const c = JSON.parse(fs.readFileSync(cacheFile(r), 'utf8')) as { entries: Record<string, { r: unknown[] }> };
    c.entries[rel]!.r = [{ line: 1, column: 1, rule: 'from-cache', message: 'served from the cache', severity: 'error' }];
    fs.writeFileSync(cacheFile(r), JSON.stringify(c));
    // the per-file cache is what is tested here, not the whole-run memo
    fs.rmSync(path.join(r.dir, '.prompts/cache/validate-run.json'), { force: true });
  };

  it('reuses results for unchanged bytes, never for changed bytes, config or a corrupt cache', async () => {
    const r = pinnedRegistry();
    const later = Date.now() + 60_000; // every file counts as old: fingerprints are kept
    expect((await validate(r, { cache: true, now: later })).ok).toBe(true);
    inject(r, 'prompts/summarize/1.0.0.yaml');
    expect(brief(await validate(r, { cache: true, now: later }))).toEqual(['prompts/summarize/1.0.0.yaml:1:1 from-cache']);
    // --no-cache ignores it
    expect((await validate(r, { cache: false })).ok).toBe(true);
    // changed bytes of the same size are re-checked (stat fingerprint differs)
    const file = path.join(r.dir, 'prompts/summarize/1.0.0.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Classify', 'Clazzify'));
    expect((await validate(r, { cache: true, now: later })).ok).toBe(true);
    // a config change invalidates everything
    inject(r, 'prompts/summarize/1.0.0.yaml');
    fs.appendFileSync(path.join(r.dir, 'prompts.config.yaml'), '# changed\n');
    expect((await validate(r, { cache: true, now: later })).ok).toBe(true);
    // a corrupt cache is ignored and replaced
    fs.writeFileSync(cacheFile(r), '{"format":1,"digest":');
    fs.rmSync(path.join(r.dir, '.prompts/cache/validate-run.json'), { force: true });
    expect((await validate(r, { cache: true })).ok).toBe(true);
    expect(() => JSON.parse(fs.readFileSync(cacheFile(r), 'utf8')) as unknown).not.toThrow();
  });

  it('a whole-registry run is answered by the last one only when no file, path or config changed', async () => {
    const r = pinnedRegistry();
    const memoFile = path.join(r.dir, '.prompts/cache/validate-run.json');
    const later = Date.now() + 60_000;
    const fresh = async () => validate(r, { cache: false });
    const cached = async () => validate(r, { cache: true, now: later });
    const memoKey = () => (fs.existsSync(memoFile) ? (JSON.parse(fs.readFileSync(memoFile, 'utf8')) as { key: string }).key : null);
    // a registry with problems: the memo must give them back exactly
    r.write('prompts/summarize/1.0.1.yaml', promptYaml('summarize', '1.0.1').replace('description:', 'descripton:'));
    const first = await cached();
    expect(first).toEqual(await fresh());
    expect(brief(first)).toEqual(['prompts/summarize/1.0.1.yaml:3:1 schema-unknown-key']);
    const key = memoKey();
    expect(key).not.toBeNull();
    // answered by the memo: a result that no check could have produced shows it was used
    const memo = JSON.parse(fs.readFileSync(memoFile, 'utf8')) as { result: { warnings: unknown[] } };
    memo.result.warnings = [{ file: 'x', line: 1, column: 1, rule: 'from-memo', message: 'm', severity: 'warning' }];
    fs.writeFileSync(memoFile, JSON.stringify(memo));
    expect(brief(await cached())).toContain('x:1:1 from-memo');
    // same size, other bytes: not answered by the memo
    const file = path.join(r.dir, 'prompts/summarize/1.0.1.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Classify', 'Clazzify'));
    expect(await cached()).toEqual(await fresh());
    // a new file, a removed file, a renamed one, a config change: each a real run
    const steps: (() => void)[] = [
      () => r.write('prompts/summarize/1.0.2.yaml', promptYaml('summarize', '1.0.2')),
      () => fs.rmSync(path.join(r.dir, 'prompts/summarize/1.0.2.yaml')),
      () => fs.renameSync(file, path.join(r.dir, 'prompts/summarize/1.0.3.yaml')),
      () => fs.appendFileSync(path.join(r.dir, 'prompts.config.yaml'), '# changed\n'),
      () => r.write('prompts/summarize/notes.yml', 'x: 1\n'),
    ];
    for (const step of steps) {
      await cached(); // records the memo this step then poisons
      const poisoned = JSON.parse(fs.readFileSync(memoFile, 'utf8')) as { result: { warnings: unknown[] } };
      poisoned.result.warnings = [{ file: 'x', line: 1, column: 1, rule: 'from-memo', message: 'm', severity: 'warning' }];
      fs.writeFileSync(memoFile, JSON.stringify(poisoned));
      expect(brief(await cached())).toContain('x:1:1 from-memo');
      step();
      const after = await cached();
      expect(after).toEqual(await fresh());
      expect(brief(after)).not.toContain('x:1:1 from-memo');
    }
    // --no-cache, paths and a memo of another digest are never answered by it
    expect(brief(await validate(r, { cache: false }))).not.toContain('x:1:1 from-memo');
  });

  it('a memo hit does not walk the folders when none changed; any entry added, removed or renamed walks them', async () => {
    const r = pinnedRegistry();
    const later = Date.now() + 60_000;
    const run = async () => {
      const log: string[] = [];
      const res = await validate(r, { cache: true, now: later, debug: (m) => log.push(m) });
      return { res, log: log.join('\n') };
    };
    await run(); // records the memo with the listing and every folder's fingerprint
    const hit = await run();
    expect(hit.log).toMatch(/its result stands; listing kept: no folder changed/);
    const memoFile = path.join(r.dir, '.prompts/cache/validate-run.json');
    const memo = JSON.parse(fs.readFileSync(memoFile, 'utf8')) as { tree: { entries: [string, string][]; dirs: [string, unknown][] } };
    expect(memo.tree.entries.map(([rel]) => rel)).toContain('prompts/support/triage/evals.yaml');
    expect(memo.tree.dirs.map(([rel]) => rel)).toEqual(expect.arrayContaining(['prompts', 'environments', 'prompts/support', 'prompts/support/triage']));
    // a new file, even with the folder's mtime put back: its ctime differs, so the folders are walked
    const dir = path.join(r.dir, 'prompts/summarize');
    const before = fs.statSync(dir);
    r.write('prompts/summarize/notes.yml', 'x: 1\n');
    fs.utimesSync(dir, before.atime, before.mtime);
    const added = await run();
    expect(added.log).not.toMatch(/its result stands/);
    expect(brief(added.res)).toContain('prompts/summarize/notes.yml:1:1 file-extension');
    await run();
    fs.rmSync(path.join(r.dir, 'prompts/summarize/notes.yml'));
    expect(brief((await run()).res)).not.toContain('prompts/summarize/notes.yml:1:1 file-extension');
    // a folder that did not exist (environments/ removed and created again) is a change too
    await run();
    fs.rmSync(path.join(r.dir, 'environments'), { recursive: true });
    const gone = await run();
    expect(gone.log).not.toMatch(/its result stands/);
    expect(brief(gone.res)).toEqual([]);
  });

  it('records no whole-run memo while files are fresh, or when a version file is a symbolic link', async () => {
    const r = pinnedRegistry();
    const memoFile = path.join(r.dir, '.prompts/cache/validate-run.json');
    await validate(r, { cache: true });
    expect(fs.existsSync(memoFile)).toBe(false);
    fs.symlinkSync(path.join(r.dir, 'prompts/summarize/1.0.0.yaml'), path.join(r.dir, 'prompts/summarize/1.0.1.yaml'));
    await validate(r, { cache: true, now: Date.now() + 60_000 });
    expect(fs.existsSync(memoFile)).toBe(false);
  });

  it('files changed moments before a run are not fingerprinted (racy writes are never trusted)', async () => {
    const r = pinnedRegistry();
    await validate(r, { cache: true });
    const c = JSON.parse(fs.readFileSync(cacheFile(r), 'utf8')) as { entries: Record<string, { f?: unknown }> };
    expect(Object.values(c.entries).some((e) => e.f !== undefined)).toBe(false);
  });

  it('writes nothing but its cache under .prompts/', async () => {
    const r = pinnedRegistry(true);
    r.commitAll();
    r.write('prompts/summarize/1.0.0.yaml', 'broken: [\n');
    const snapshot = () => r.git('status', '--porcelain', '--untracked-files=all', '--ignored');
    const before = snapshot();
    await validate(r, { cache: true });
    const after = snapshot().split('\n').filter((l) => !l.includes('.prompts/cache/')).join('\n');
    expect(after).toBe(before);
    expect(fs.readdirSync(path.join(r.dir, '.prompts'))).toEqual(['cache']);
    // (the whole-run memo appears too when the files are old enough to be fingerprinted)
    expect(fs.readdirSync(path.join(r.dir, '.prompts/cache')).filter((f) => f !== 'validate-run.json').sort()).toEqual(['.gitignore', 'validate-env.json', 'validate.json']);
  });
});

describe('validate engine: --staged', () => {
  it('checks the bytes in the index, not the working tree (both ways)', async () => {
    const r = pinnedRegistry(true);
    r.commitAll();
    const file = 'prompts/summarize/1.0.0.yaml';
    const good = fs.readFileSync(path.join(r.dir, file), 'utf8');
    // staged bad, working tree good
    r.write(file, good.replace('description:', 'descripton:'));
    r.git('add', file);
    r.write(file, good);
    expect(brief(await validate(r, { staged: true }))).toEqual([`${file}:3:1 schema-unknown-key`]);
    expect((await validate(r)).ok).toBe(true);
    // staged good, working tree bad
    r.git('add', file);
    r.write(file, good.replace('description:', 'descripton:'));
    expect((await validate(r, { staged: true })).ok).toBe(true);
    expect((await validate(r)).ok).toBe(false);
  });

  it('only staged files are checked, plus the env files that pin them', async () => {
    const r = pinnedRegistry(true);
    r.commitAll();
    r.write('prompts/summarize/1.0.0.yaml', 'broken: [\n'); // not staged
    const pinned = 'prompts/support/triage/1.1.0.yaml';
    r.write(pinned, promptYaml('support/triage', '1.1.0').replace('Classify', 'Sort'));
    r.git('add', pinned);
    const res = await validate(r, { staged: true });
    expect(brief(res)).toEqual(['environments/production.yaml:5:13 pin-sha-mismatch']);
    expect(res.checked).toEqual(['prompts.config.yaml', 'environments/production.yaml', pinned]);
  });

  it('a staged deletion of a pinned version is an error; of an unpinned one is fine', async () => {
    const r = pinnedRegistry(true);
    r.commitAll();
    r.git('rm', '-q', 'prompts/support/triage/1.1.0.yaml');
    const res = await validate(r, { staged: true });
    expect(brief(res)).toEqual(['environments/production.yaml:4:14 pin-missing-version']);
    expect(res.errors[0]!.message).toMatch(/deletion is staged/);
    r.git('reset', '-q', 'HEAD', '--', 'prompts/support/triage/1.1.0.yaml');
    r.git('checkout', '--', 'prompts/support/triage/1.1.0.yaml');
    r.git('rm', '-q', 'prompts/summarize/1.0.0.yaml');
    expect((await validate(r, { staged: true })).ok).toBe(true);
  });

  it('a staged env file is checked against the versions in the index', async () => {
    const r = pinnedRegistry(true);
    r.commitAll();
    // the working tree copy of 1.0.0 differs from the index; the env file pins the working-tree bytes
    const v = 'prompts/support/triage/1.0.0.yaml';
    const changed = promptYaml('support/triage', '1.0.0').replace('Classify', 'Sort');
    r.write(v, changed);
    r.write('environments/staging.yaml', envYaml('staging', { 'support/triage': { version: '1.0.0', sha256: sha(changed) } }));
    r.git('add', 'environments/staging.yaml');
    expect(brief(await validate(r, { staged: true }))).toEqual(['environments/staging.yaml:5:13 pin-sha-mismatch']);
    expect(brief(await validate(r))).toEqual(expect.not.arrayContaining(['environments/staging.yaml:5:13 pin-sha-mismatch']));
  });

  it('works when the registry is a sub-folder of the repository', async () => {
    const r = reg({ git: true, config: null });
    const sub = path.join(r.dir, 'packages/prompts');
    const cfg = fs.readFileSync(path.join(pinnedRegistry().dir, 'prompts.config.yaml'), 'utf8');
    r.write('packages/prompts/prompts.config.yaml', cfg);
    r.write('packages/prompts/prompts/summarize/1.0.0.yaml', promptYaml('summarize', '1.0.0'));
    r.write('README.md', 'x\n');
    r.commitAll();
    r.write('packages/prompts/prompts/summarize/1.0.1.yaml', promptYaml('summarize', '1.0.1').replace('description:', 'descripton:'));
    r.write('README.md', 'y\n');
    r.git('add', '-A');
    const res = await runValidate({ root: sub, cwd: sub, paths: [], staged: true, cache: false, toolVersion: 'test', workers: 0 });
    expect(brief(res)).toEqual(['prompts/summarize/1.0.1.yaml:3:1 schema-unknown-key']);
    expect(res.checked).toEqual(['prompts.config.yaml', 'prompts/summarize/1.0.1.yaml']);
  });

  it('lists only the changed folders of a large index, with the same findings as listing all of it', async () => {
    const r = pinnedRegistry(true);
    r.write('prompts/support/escalate/1.0.0.yaml', promptYaml('support/escalate', '1.0.0'));
    r.write('prompts/support/escalate/evals.yaml', 'cases:\n  - name: a\n    vars: { ticket: x }\n');
    r.commitAll();
    const same = async (): Promise<string[]> => {
      const auto = await validate(r, { staged: true });
      const full = await validate(r, { staged: true, indexListing: 'full' });
      const all = (x: typeof auto) => [...x.errors, ...x.warnings].map((p) => `${p.file}:${p.line}:${p.column} ${p.rule} ${p.message}`).sort();
      expect(all(auto)).toEqual(all(full));
      expect(auto.checked).toEqual(full.checked);
      return brief(auto);
    };
    // a new version with an undeclared input, and a suite case passing an undeclared var
    r.write('prompts/support/triage/1.2.0.yaml', promptYaml('support/triage', '1.2.0').replace('{{ticket}}', '{{tikcet}}'));
    r.write('prompts/support/triage/evals.yaml', 'cases:\n  - name: a\n    vars: { ticket: x, nope: 1 }\n');
    r.git('add', '-A');
    expect((await same()).length).toBeGreaterThan(0);
    // an id that collides with another one on case-insensitive file systems
    r.write('prompts/Summarize/1.0.0.yaml', promptYaml('Summarize', '1.0.0'));
    r.git('add', '-A');
    expect(await same()).toEqual(expect.arrayContaining(['prompts/Summarize/1.0.0.yaml:1:1 duplicate-id']));
    r.git('reset', '-q');
    // every version of a pinned prompt deleted (the message suggests from all ids)
    r.git('rm', '-q', '-r', '--cached', 'prompts/support/triage');
    expect(await same()).toEqual(expect.arrayContaining(['environments/production.yaml:4:14 pin-missing-version']));
    r.git('reset', '-q');
    // a stray file directly in prompts/, a staged env file, a staged config
    r.write('prompts/stray.yaml', 'x: 1\n');
    r.git('add', 'prompts/stray.yaml');
    expect(await same()).toEqual(['prompts/stray.yaml:1:1 stray-file']);
    r.git('reset', '-q');
    r.write('environments/staging.yaml', envYaml('staging', { 'support/escalate': { version: '1.0.0', sha256: 'ab'.repeat(32) } }));
    r.git('add', 'environments/staging.yaml');
    expect(await same()).toEqual(['environments/staging.yaml:5:13 pin-sha-mismatch']);
    r.git('reset', '-q');
    r.write('prompts.config.yaml', `${fs.readFileSync(path.join(r.dir, 'prompts.config.yaml'), 'utf8')}\n`);
    r.git('add', 'prompts.config.yaml');
    await same();
  });

  it('a staged symbolic link is followed inside the index with a partial listing too', async () => {
    const r = pinnedRegistry(true);
    r.commitAll();
    fs.symlinkSync('../../summarize/1.0.0.yaml', path.join(r.dir, 'prompts/support/triage/1.2.0.yaml'));
    r.git('add', '-A');
    const auto = brief(await validate(r, { staged: true }));
    expect(auto).toEqual(brief(await validate(r, { staged: true, indexListing: 'full' })));
    expect(auto.length).toBeGreaterThan(0); // id and version do not match the path
  });

  it('picks the part of the index a --staged run lists', async () => {
    const { stagedListing } = await import('../../src/validate/source-index.js');
    expect(stagedListing([{ path: 'prompts/a/b/1.0.0.yaml' }, { path: 'prompts/a/b/evals.yaml' }, { path: 'README.md' }])).toEqual([
      'prompts.config.yaml',
      'environments',
      ':(icase,literal)prompts/a/b/',
    ]);
    expect(stagedListing([{ path: 'prompts.config.yaml' }])).toBeNull();
    expect(stagedListing([{ path: 'environments/production.yaml' }])).toBeNull();
    expect(stagedListing([{ path: 'prompts/x.yaml' }])).toBeNull();
  });

  it('needs a git repository', async () => {
    const r = pinnedRegistry(false);
    await expect(validate(r, { staged: true })).rejects.toThrow(/needs a git repository/);
  });
});

describe('validate engine: --base', () => {
  it('version files existing at the base must be unchanged; new versions are fine', async () => {
    const r = pinnedRegistry(true);
    r.commitAll('base');
    r.write('prompts/summarize/1.0.0.yaml', promptYaml('summarize', '1.0.0').replace('Classify', 'Sort'));
    fs.rmSync(path.join(r.dir, 'prompts/support/triage/1.0.0.yaml'));
    r.write('prompts/summarize/1.0.1.yaml', promptYaml('summarize', '1.0.1'));
    const res = await validate(r, { base: 'HEAD' });
    expect(brief(res)).toEqual(['environments/production.yaml:6:15 pin-previous-missing', 'prompts/summarize/1.0.0.yaml:1:1 immutable-version-changed', 'prompts/support/triage/1.0.0.yaml:1:1 immutable-version-deleted']);
    expect(res.errors[0]!.message).toMatch(/git checkout HEAD -- prompts\/summarize\/1\.0\.0\.yaml/);
  });

  it('with --staged compares the index', async () => {
    const r = pinnedRegistry(true);
    r.commitAll('base');
    r.write('prompts/summarize/1.0.0.yaml', promptYaml('summarize', '1.0.0').replace('Classify', 'Sort'));
    expect((await validate(r, { base: 'HEAD', staged: true })).ok).toBe(true);
    r.git('add', '-A');
    expect(brief(await validate(r, { base: 'HEAD', staged: true }))).toEqual(['prompts/summarize/1.0.0.yaml:1:1 immutable-version-changed']);
  });

  it('a new version whose bump is smaller than its change needs is an error', async () => {
    const r = pinnedRegistry(true);
    r.commitAll('base');
    const breaking = promptYaml('support/triage', '1.1.1').replace('required: [ticket]', 'required: [ticket, customer_tier]');
    r.write('prompts/support/triage/1.1.1.yaml', breaking);
    const res = await validate(r, { base: 'HEAD' });
    expect(brief({ ...res, warnings: [] })).toEqual(['prompts/support/triage/1.1.1.yaml:2:10 bump-too-small']);
    expect(res.warnings.map((w) => w.rule)).toEqual(['suite-var-missing']);
    expect(res.errors[0]!.message).toMatch(/1\.1\.1 is a patch step from 1\.1\.0, but the change needs a major bump: .*customer_tier.*make it 2\.0\.0 instead/);
    fs.renameSync(path.join(r.dir, 'prompts/support/triage/1.1.1.yaml'), path.join(r.dir, 'prompts/support/triage/2.0.0.yaml'));
    r.write('prompts/support/triage/2.0.0.yaml', breaking.replace('version: 1.1.1', 'version: 2.0.0'));
    expect((await validate(r, { base: 'HEAD' })).ok).toBe(true);
  });

  it('an unknown revision is a usage error', async () => {
    const r = pinnedRegistry(true);
    r.commitAll('base');
    await expect(validate(r, { base: 'no-such-branch' })).rejects.toThrow(/unknown revision "no-such-branch"/);
    await expect(validate(r, { base: '--output=/tmp/x' })).rejects.toThrow(UsageError);
  });
});
