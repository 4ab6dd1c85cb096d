import { describe, it, expect } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cli } from '../helpers/cli.js';
import { registriesPerTest, promptYaml } from '../helpers/registry.js';

const reg = registriesPerTest();
const noStack = (s: string): void => expect(s).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('prompts validate (built CLI)', () => {
  it('a clean registry: exit 0 and a summary', async () => {
    const r = reg({ prompts: { 'support/triage': ['1.0.0', '1.1.0'] } });
    const res = await cli(['validate'], { cwd: r.dir });
    expect(res).toMatchObject({ exitCode: 0, stderr: '' });
    expect(res.stdout).toBe('✔ 0 errors, 0 warnings in 3 files\n');
  });

  it('problems: exit 1, grouped by file with line:col, rule and fix', async () => {
    const r = reg({ prompts: { 'support/triage': ['1.0.0'] } });
    r.write('prompts/support/triage/1.1.0.yaml', promptYaml('support/triage', '1.1.0').replace('description:', 'descripton:'));
    const res = await cli(['validate'], { cwd: path.join(r.dir, 'prompts') });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toBe(
      'prompts/support/triage/1.1.0.yaml\n  3:1  error    unknown key "descripton" at the top level; did you mean "description"?  schema-unknown-key\n\n✖ 1 error, 0 warnings in 3 files\n',
    );
    expect(res.stderr).toBe('');
  });

  it('--json and --format json print the SPEC shape and nothing else', async () => {
    const r = reg({ prompts: { 'support/triage': ['1.0.0'] } });
    r.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0').replace('{{ticket}}', '{{tiket}}'));
    for (const args of [['--json', 'validate'], ['validate', '--format', 'json']]) {
      const res = await cli(args, { cwd: r.dir });
      expect(res.exitCode).toBe(1);
      const j = JSON.parse(res.stdout) as { ok: boolean; files: number; errors: unknown[]; warnings: unknown[] };
      expect(j).toEqual({
        ok: false,
        files: 2,
        errors: [{ file: 'prompts/support/triage/1.0.0.yaml', line: 25, column: 17, rule: 'input-undeclared', message: expect.stringMatching(/"tiket".*did you mean "ticket"/) }],
        warnings: [{ file: 'prompts/support/triage/1.0.0.yaml', line: 15, column: 14, rule: 'input-unused', message: expect.any(String) }],
      });
    }
  });

  it('--format github prints escaped annotations; --format junit prints XML', async () => {
    const r = reg({ prompts: { 'support/triage': ['1.0.0'] } });
    r.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0').replace('provider: offline', 'provider: ofline'));
    const gh = await cli(['validate', '--format', 'github'], { cwd: r.dir });
    expect(gh.exitCode).toBe(1);
    expect(gh.stdout).toBe(
      '::error file=prompts/support/triage/1.0.0.yaml,line=10,col=13,title=provider-unknown::unknown provider "ofline"; did you mean "offline"? (providers in prompts.config.yaml: openai, offline)\n',
    );
    expect(gh.stderr).toBe('1 error, 0 warnings in 2 files\n');
    const junit = await cli(['validate', '--format', 'junit'], { cwd: r.dir });
    expect(junit.exitCode).toBe(1);
    expect(junit.stdout).toContain('<testsuite name="support/triage" tests="1" failures="1"');
    expect(junit.stdout).toContain('<failure message="provider-unknown: unknown provider &quot;ofline&quot;;');
  });

  it('usage errors exit 2: unknown format, no registry, unknown --base, --staged outside git', async () => {
    const r = reg({ prompts: { 'support/triage': ['1.0.0'] } });
    const fmt = await cli(['validate', '--format', 'xml'], { cwd: r.dir });
    expect(fmt).toMatchObject({ exitCode: 2, stdout: '' });
    expect(fmt.stderr).toMatch(/^error: unknown --format "xml" for validate \(use one of: text, json, github, junit\)\n$/);
    const none = reg({ config: null });
    const nr = await cli(['validate'], { cwd: none.dir });
    expect(nr.exitCode).toBe(2);
    expect(nr.stderr).toMatch(/^error: no promptrail registry found in .* \(run "prompts init"/);
    const st = await cli(['validate', '--staged'], { cwd: r.dir });
    expect(st.exitCode).toBe(2);
    expect(st.stderr).toMatch(/--staged needs a git repository/);
    const g = reg({ git: true, prompts: { 'support/triage': ['1.0.0'] } });
    g.commitAll();
    const base = await cli(['validate', '--base', 'nope'], { cwd: g.dir });
    expect(base.exitCode).toBe(2);
    expect(base.stderr).toMatch(/^error: unknown revision "nope" for --base/);
    const emptyBase = await cli(['validate', '--base', ''], { cwd: g.dir });
    expect(emptyBase.exitCode).toBe(2);
    expect(emptyBase.stderr).toMatch(/^error: --base needs a revision/);
    const missing = await cli(['validate', 'prompts/nope'], { cwd: g.dir });
    expect(missing.exitCode).toBe(2);
    for (const x of [fmt, nr, st, base, emptyBase, missing]) noStack(x.stderr);
  });

  it('an invalid or unreadable config exits 2 with its position', async () => {
    const r = reg({ config: 'prompts_dir: prompts\nenvironments:\n  production: { requires: stagin }\n' });
    const res = await cli(['validate'], { cwd: r.dir });
    expect(res.exitCode).toBe(2);
    expect(res.stdout).toContain('prompts.config.yaml\n  3:27  error    environment "production" requires unknown environment "stagin"');
    const d = reg({ config: null });
    fs.mkdirSync(path.join(d.dir, 'prompts.config.yaml'));
    const dir = await cli(['validate', '--json'], { cwd: d.dir });
    expect(dir.exitCode).toBe(2);
    expect(JSON.parse(dir.stdout)).toMatchObject({ ok: false, errors: [{ file: 'prompts.config.yaml', rule: 'file-not-regular' }] });
  });

  it('every kind of bad input: the rule and line:col, exit 1, no crash, no stack trace, nothing written', async () => {
    const r = reg({ git: true, prompts: { 'support/triage': ['1.0.0'] } });
    const base = promptYaml('support/triage', '1.0.0');
    const put = (id: string, content: string | Buffer): void => void r.write(`prompts/${id}/1.0.0.yaml`, typeof content === 'string' ? content.replace('support/triage', id) : content);
    put('malformed', 'id: malformed\nmodel: [unclosed\n');
    put('dupkeys', base.replace('author: ana@example.com', 'author: a\nauthor: b'));
    put('proto', base.replace('tags: [support]', '__proto__: { polluted: true }'));
    put('ctor', base.replace('tags: [support]', 'constructor: { prototype: { polluted: true } }'));
    put('empty', '');
    put('binary', Buffer.from([0x00, 0x01, 0x02, 0xff]));
    put('latin1', Buffer.from('id: caf\xe9\n', 'latin1'));
    put('huge', `${base}# ${'x'.repeat(1024 * 1024)}\n`);
    put('conflict', base.replace('tags: [support]', '<<<<<<< HEAD\ntags: [a]\n=======\ntags: [b]\n>>>>>>> other'));
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 15; i++) bomb += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    put('bomb', bomb);
    fs.mkdirSync(path.join(r.dir, 'prompts/dir/1.0.0.yaml'), { recursive: true });
    fs.mkdirSync(path.join(r.dir, 'prompts/link'), { recursive: true });
    fs.symlinkSync('/etc/hostname', path.join(r.dir, 'prompts/link/1.0.0.yaml'));
    put('Upper', base);
    put('back\\slash', base);
    r.commitAll();
    const before = r.git('status', '--porcelain', '--ignored', '--untracked-files=all');
    const started = Date.now();
    const res = await cli(['validate', '--json', '--no-cache'], { cwd: r.dir, timeout: 20000 });
    expect(Date.now() - started).toBeLessThan(15000);
    expect(res.exitCode).toBe(1);
    noStack(res.stderr);
    const j = JSON.parse(res.stdout) as { errors: { file: string; line: number; column: number; rule: string }[] };
    const got = new Set(j.errors.map((e) => `${e.file.replace(/^prompts\//, '').replace(/\/1\.0\.0\.yaml$/, '')} ${e.rule} ${e.line}:${e.column}`));
    for (const want of [
      'malformed yaml-syntax 3:1',
      'dupkeys yaml-duplicate-key 5:1',
      'proto yaml-unsafe-key 8:1',
      'ctor schema-unknown-key 8:1',
      'empty file-empty 1:1',
      'binary file-binary 1:1',
      'latin1 file-encoding 1:1',
      'huge file-too-large 1:1',
      'conflict conflict-marker 8:1',
      'bomb yaml-alias-limit 1:1',
      'dir file-not-regular 1:1',
      'link file-outside-registry 1:1',
      'Upper id-invalid 1:5',
      'back\\slash id-invalid 1:5',
    ]) {
      expect(got).toContain(want);
    }
    expect(r.git('status', '--porcelain', '--ignored', '--untracked-files=all')).toBe(before);
  });

  it('--staged reads the index: staged-bad fails, working-tree-bad passes', async () => {
    const r = reg({ git: true, prompts: { 'support/triage': ['1.0.0'] } });
    r.commitAll();
    const file = 'prompts/support/triage/1.0.0.yaml';
    const good = fs.readFileSync(path.join(r.dir, file), 'utf8');
    r.write(file, good.replace('name: echo-1', 'name: 5'));
    r.git('add', file);
    r.write(file, good);
    const bad = await cli(['validate', '--staged'], { cwd: r.dir });
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain(`${file}\n  11:9  error    "model.name" must be a string`);
    r.write(file, good.replace('Classify', 'Sort'));
    r.git('add', file);
    r.write(file, good.replace('name: echo-1', 'name: 5'));
    const ok = await cli(['validate', '--staged'], { cwd: r.dir });
    expect(ok).toMatchObject({ exitCode: 0, stdout: '✔ 0 errors, 0 warnings in 2 files\n' });
  });

  it('--base reports a changed released version', async () => {
    const r = reg({ git: true, prompts: { 'support/triage': ['1.0.0'] } });
    r.commitAll();
    r.write('prompts/support/triage/1.0.0.yaml', promptYaml('support/triage', '1.0.0').replace('Classify', 'Sort'));
    const res = await cli(['validate', '--base', 'HEAD', '--format', 'github'], { cwd: r.dir });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/^::error file=prompts\/support\/triage\/1\.0\.0\.yaml,line=1,col=1,title=immutable-version-changed::version file differs from HEAD/);
  });
});

describe('prompts validate on a larger registry (worker threads)', () => {
  it('finds the same problems with and without worker threads, and answers from the cache the second time', async () => {
    const { generateRegistry } = (await import('../../fixtures/generate-registry.mjs' as string)) as {
      generateRegistry: (dir: string, o: { prompts: number; versions: number }) => { files: number };
    };
    const r = reg({ config: null });
    const g = generateRegistry(r.dir, { prompts: 110, versions: 6 });
    r.write('prompts/support/p0000/1.0.0.yaml', 'broken: [\n');
    r.write('prompts/sales/p0001/1.2.0.yaml', fs.readFileSync(path.join(r.dir, 'prompts/sales/p0001/1.2.0.yaml'), 'utf8').replace('{{ticket}}', '{{tiket}}'));
    const one = await cli(['validate', '--json', '--no-cache', '--verbose'], { cwd: r.dir, env: { PROMPTRAIL_WORKERS: '0' } });
    const two = await cli(['validate', '--json', '--verbose'], { cwd: r.dir, env: { PROMPTRAIL_WORKERS: '2' } });
    expect(two.stderr).toMatch(/2 threads: the main one and 1 worker, which checked [1-9]\d*\)/);
    expect(one.exitCode).toBe(1);
    expect(two.stdout).toBe(one.stdout);
    const j = JSON.parse(one.stdout) as { files: number; errors: { file: string; rule: string }[] };
    expect(j.files).toBe(g.files);
    expect(j.errors.map((e) => `${e.file} ${e.rule}`)).toEqual(['prompts/sales/p0001/1.2.0.yaml input-undeclared', 'prompts/support/p0000/1.0.0.yaml yaml-syntax']);
    const three = await cli(['validate', '--json', '--verbose'], { cwd: r.dir });
    expect(three.stdout).toBe(one.stdout);
    expect(three.stderr).toMatch(/ 0 checked /);
  });
});
