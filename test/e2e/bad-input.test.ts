/**
 * Bad input gets a clear one-line error (file:line:col where there is one), the right exit code,
 * never a stack trace, and never a written or changed file (issue 2 item 6), for the registry
 * commands, run as the user runs them: the built bin/prompts.js.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { cli, type CliResult } from '../helpers/cli.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';
import { snapshot } from '../integration/registry-cmd-helpers.js';

let reg: TempRegistry | undefined;
const extra: string[] = [];
afterEach(() => {
  reg?.cleanup();
  reg = undefined;
  for (const d of extra.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ID = 'support/triage';
const VFILE = `prompts/${ID}/1.1.0.yaml`;
const GOOD = promptYaml(ID, '1.1.0');

/** One clean error line: "error: <where>: <message> (hint)"; no stack trace. */
function expectOneLineError(r: CliResult, code: number, pattern: RegExp): void {
  expect(r.exitCode, r.stderr).toBe(code);
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
}

const BAD_FILES: [string, string | Buffer | ((r: TempRegistry) => void), RegExp][] = [
  ['malformed YAML', GOOD.replace('tags: [support]', 'tags: [support\nmodel2: {'), /^error: prompts\/support\/triage\/1\.1\.0\.yaml:\d+:\d+: YAML syntax error/],
  ['duplicate keys', GOOD.replace('tags: [support]', 'tags: [support]\ntags: [again]'), /^error: prompts\/support\/triage\/1\.1\.0\.yaml:9:1: duplicate key/],
  [
    'an alias bomb',
    `a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`,
    /^error: prompts\/support\/triage\/1\.1\.0\.yaml:1:1: too many YAML alias expansions/,
  ],
  ['a __proto__ key', GOOD.replace('tags: [support]', '__proto__: { polluted: true }'), /^error: prompts\/support\/triage\/1\.1\.0\.yaml:8:1: the key "__proto__" is not allowed/],
  ['a constructor key', GOOD.replace('tags: [support]', 'constructor: { prototype: { polluted: true } }'), /^error: prompts\/support\/triage\/1\.1\.0\.yaml:8:1: unknown key "constructor"/],
  ['an empty file', '', /^error: prompts\/support\/triage\/1\.1\.0\.yaml: file is empty/],
  ['a white-space file', '  \n\n', /^error: prompts\/support\/triage\/1\.1\.0\.yaml: file holds only white space/],
  ['a binary file', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]), /^error: prompts\/support\/triage\/1\.1\.0\.yaml: file contains NUL bytes/],
  ['a non-UTF-8 file', Buffer.concat([Buffer.from('id: support/triage\ndescription: caf'), Buffer.from([0xe9]), Buffer.from('\n')]), /^error: prompts\/support\/triage\/1\.1\.0\.yaml: file is not valid UTF-8/],
  ['a file over 1 MiB', `${GOOD}# ${'x'.repeat(1024 * 1024)}\n`, /^error: prompts\/support\/triage\/1\.1\.0\.yaml: file is \d+ bytes; registry files are limited to 1 MiB/],
  ['git conflict markers', GOOD.replace('tags: [support]', '<<<<<<< HEAD\ntags: [support]\n=======\ntags: [other]\n>>>>>>> branch'), /^error: prompts\/support\/triage\/1\.1\.0\.yaml:8:1: git conflict marker "<<<<<<<"/],
  [
    'a version path that is a directory',
    (r) => mkdirSync(path.join(r.dir, VFILE)),
    /^error: prompts\/support\/triage\/1\.1\.0\.yaml: expected a file but found a directory/,
  ],
  [
    'a symlink leaving the registry',
    (r) => {
      const outside = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-outside-')));
      extra.push(outside);
      writeFileSync(path.join(outside, 'secret.yaml'), GOOD);
      symlinkSync(path.join(outside, 'secret.yaml'), path.join(r.dir, VFILE));
    },
    /^error: prompts\/support\/triage\/1\.1\.0\.yaml: symbolic link leads outside the registry/,
  ],
];

function badRegistry(content: string | Buffer | ((r: TempRegistry) => void)): TempRegistry {
  reg = makeRegistry({ prompts: { [ID]: ['1.0.0'] } });
  if (typeof content === 'function') content(reg);
  else reg.write(VFILE, content);
  return reg;
}

describe('bad version files: bump, show, render and new --from refuse with file:line:col, exit 1, nothing written', () => {
  it.each(BAD_FILES)('%s', async (_name, content, pattern) => {
    const r = badRegistry(content);
    const before = snapshot(r.dir);
    // bump reads the file before it would write one: it proves the refusal and that nothing is written
    const bump = await cli(['bump', ID, 'patch'], { cwd: r.dir });
    expectOneLineError(bump, 1, pattern);
    expect(snapshot(r.dir)).toEqual(before);
  });

  it.each([0, 4, 7, 12])('show refuses the same way (case %i)', async (i) => {
    const [, content, pattern] = BAD_FILES[i]!;
    const r = badRegistry(content);
    expectOneLineError(await cli(['show', ID], { cwd: r.dir }), 1, pattern);
  });

  it('render and new --from refuse a bad version file the same way', async () => {
    const r = badRegistry(BAD_FILES[0]![1] as string);
    const before = snapshot(r.dir);
    const [render, copy] = await Promise.all([cli(['render', `${ID}@1.1.0`, '--var', 'ticket=x'], { cwd: r.dir }), cli(['new', 'copy', '--from', `${ID}@1.1.0`], { cwd: r.dir })]);
    expectOneLineError(render, 1, BAD_FILES[0]![2]);
    expectOneLineError(copy, 1, BAD_FILES[0]![2]);
    expect(snapshot(r.dir)).toEqual(before);
  });

  it('an alias bomb is refused quickly and without exhausting memory', async () => {
    const r = badRegistry(BAD_FILES[2]![1] as string);
    const t0 = Date.now();
    const res = await cli(['show', ID], { cwd: r.dir, timeout: 10000 });
    expect(res.exitCode).toBe(1);
    expect(Date.now() - t0).toBeLessThan(10000);
  });
});

describe('bad ids: exit 2 before any file is touched', () => {
  it.each([
    ['../escape', '".." segments are not allowed'],
    ['support/../../etc', '".." segments are not allowed'],
    ['/etc/passwd', 'may not start with "/"'],
    ['support/', 'may not end with "/"'],
    ['Support/Triage', 'upper case is not allowed'],
    ['support\\triage', 'back-slashes are not allowed'],
  ])('%s', async (id, msg) => {
    reg = makeRegistry({ prompts: { [ID]: ['1.0.0'] } });
    const before = snapshot(reg.dir);
    const results = await Promise.all([cli(['new', id], { cwd: reg.dir }), cli(['show', id], { cwd: reg.dir })]);
    for (const res of results) expectOneLineError(res, 2, new RegExp(`^error: invalid prompt id .*${msg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expect(snapshot(reg.dir)).toEqual(before);
  });

  it('bump and render check the id too', async () => {
    reg = makeRegistry({ prompts: { [ID]: ['1.0.0'] } });
    const before = snapshot(reg.dir);
    const results = await Promise.all([cli(['bump', '../x', 'patch'], { cwd: reg.dir }), cli(['render', 'A/b'], { cwd: reg.dir })]);
    for (const res of results) expectOneLineError(res, 2, /^error: invalid prompt id/);
    expect(snapshot(reg.dir)).toEqual(before);
  });
});

describe('the registry config', () => {
  it.each<[string, (r: TempRegistry) => void, RegExp]>([
    ['a directory named prompts.config.yaml', (r) => mkdirSync(path.join(r.dir, 'prompts.config.yaml')), /^error: prompts\.config\.yaml: cannot use prompts\.config\.yaml: expected a file but found a directory/],
    ['malformed YAML', (r) => r.write('prompts.config.yaml', 'providers: {\n'), /^error: prompts\.config\.yaml:\d+:\d+: YAML syntax error/],
    ['an unknown key', (r) => r.write('prompts.config.yaml', 'prompts_dri: prompts\n'), /^error: prompts\.config\.yaml:1:1: unknown key "prompts_dri" at the top level; did you mean "prompts_dir"\?/],
    ['binary bytes', (r) => r.write('prompts.config.yaml', Buffer.from([0, 1, 2, 3])), /^error: prompts\.config\.yaml: cannot use prompts\.config\.yaml: file contains NUL bytes/],
    ['an empty file', (r) => r.write('prompts.config.yaml', ''), /^error: prompts\.config\.yaml: cannot use prompts\.config\.yaml: file is empty/],
    ['conflict markers', (r) => r.write('prompts.config.yaml', '<<<<<<< ours\nprompts_dir: a\n=======\nprompts_dir: b\n>>>>>>> theirs\n'), /^error: prompts\.config\.yaml:1:1: cannot use prompts\.config\.yaml: git conflict marker/],
  ])('%s → exit 2, nothing written', async (name, breakIt, pattern) => {
    reg = makeRegistry({ git: true, config: null, prompts: { [ID]: ['1.0.0'] } });
    breakIt(reg);
    const before = snapshot(reg.dir);
    // every registry command for the first case; a reader and a writer for the others
    const all = name.startsWith('a directory');
    const results = await Promise.all([
      cli(['list'], { cwd: reg.dir }),
      cli(['bump', ID, 'patch'], { cwd: reg.dir }),
    ]);
    for (const res of results) expectOneLineError(res, 2, pattern);
    if (all) {
      const rest = await Promise.all([
        cli(['show', ID], { cwd: reg.dir }),
        cli(['render', ID, '--var', 'ticket=x'], { cwd: reg.dir }),
        cli(['new', 'other'], { cwd: reg.dir }),
        cli(['hook', 'install'], { cwd: reg.dir }),
        cli(['init'], { cwd: reg.dir }),
      ]);
      for (const res of rest) expectOneLineError(res, 2, pattern);
    }
    expect(snapshot(reg.dir)).toEqual(before);
  });
});

describe('outside any registry', () => {
  it('every command but init exits 2 with a hint to run prompts init', async () => {
    const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'promptrail-noreg-')));
    extra.push(dir);
    const commands = [
      ['list'],
      ['show', ID],
      ['render', ID],
      ['new', 'x'],
      ['bump', ID],
      ['hook', 'install'],
      ['validate'],
      ['status'],
      ['diff', ID],
      ['eval', ID],
      ['promote', ID, '--env', 'production'],
      ['rollback', ID, '--env', 'production'],
      ['history', ID],
      ['build', '--env', 'production'],
    ];
    const results = await Promise.all(commands.map((c) => cli(c, { cwd: dir })));
    results.forEach((res, i) => {
      expect(res.exitCode, commands[i]!.join(' ')).toBe(2);
      expect(res.stderr, commands[i]!.join(' ')).toMatch(/^error: no promptrail registry found in .* \(run "prompts init" to create one here, or pass -C <dir>\)\n$/);
    });
    expect(snapshot(dir)).toEqual({});
  });
});

describe('unknown prompt, version and environment: exit 2 with did-you-mean', () => {
  it.each([
    [['show', 'support/triag'], 'unknown prompt "support/triag"; did you mean "support/triage"?'],
    [['show', `${ID}@1.0.1`], 'has no version 1.0.1; did you mean "1.0.0"?'],
    [['show', `${ID}@productoin`], 'unknown environment "productoin" in "support/triage@productoin"; did you mean "production"?'],
    [['render', ID, '--var', 'ticket=x', '--env', 'stagng'], 'unknown environment "stagng"; did you mean "staging"?'],
    [['bump', 'support/triag', 'patch'], 'did you mean "support/triage"?'],
    [['new', 'x', '--from', `${ID}@2.0.0`], 'has no version 2.0.0'],
  ])('%j', async (args, msg) => {
    reg = makeRegistry({ prompts: { [ID]: ['1.0.0'] } });
    const before = snapshot(reg.dir);
    const r = await cli(args, { cwd: reg.dir });
    expectOneLineError(r, 2, /^error: /);
    expect(r.stderr).toContain(msg);
    expect(snapshot(reg.dir)).toEqual(before);
  });
});
