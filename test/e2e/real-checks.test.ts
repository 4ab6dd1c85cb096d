/**
 * Issue 9 as a user meets it, through the built CLI: static checks that see what render will do,
 * suite checks with eval's own parsers, baselines, unusual provider replies, schemas and messages.
 */
import { describe, expect, it } from 'vitest';
import { cli } from '../helpers/cli.js';
import { registriesPerTest } from '../helpers/registry.js';

const reg = registriesPerTest();

const NESTED = `id: a/b
version: 1.0.0
description: d
author: a@b.c
created: 2026-11-20
model: { provider: offline, name: echo-1 }
inputs:
  type: object
  required: [examples, customer]
  properties:
    examples:
      type: array
      items: { type: object, required: [speaker, text], properties: { speaker: { type: string }, text: { type: string } }, additionalProperties: false }
    customer: { type: object, required: [name], properties: { name: { type: string } }, additionalProperties: false }
    title: { type: string }
  additionalProperties: false
messages:
  - role: user
    content: |
      {{#each examples}}{{this.speaker}}: {{text}} {{../title}}{{/each}}
      {{#with customer}}{{name}}{{/with}}
`;

describe('static checks see what render will do (issue 9 item 4)', () => {
  it('{{this.x}} under #each, bare names under #with and ../x are checked against the inputs schema, with did-you-mean', async () => {
    const r = reg({ prompts: {} });
    r.write('prompts/a/b/1.0.0.yaml', NESTED);
    const ok = await cli(['validate'], { cwd: r.dir });
    expect(ok).toMatchObject({ exitCode: 0, stderr: '' });
    const good = await cli(['render', 'a/b@1.0.0', '--var', 'examples=[{"speaker":"ann","text":"hi"}]', '--var', 'customer={"name":"Bo"}', '--var', 'title=T'], { cwd: r.dir });
    expect(good.exitCode).toBe(0);
    expect(good.stdout).toContain('ann: hi T');

    r.write('prompts/a/b/1.0.0.yaml', NESTED.replace('this.speaker', 'this.speakr').replace('{{name}}', '{{nme}}').replace('../title', '../titel'));
    const bad = await cli(['validate'], { cwd: r.dir });
    expect(bad.exitCode).toBe(1);
    expect(bad.stdout).toContain('20:27  error    the template uses "examples[].speakr", which is not declared in inputs.properties.examples.items.properties; did you mean "speaker"?  input-undeclared');
    expect(bad.stdout).toContain('21:27  error    the template uses "customer.nme", which is not declared in inputs.properties.customer.properties; did you mean "name"?  input-undeclared');
    expect(bad.stdout).toMatch(/20:\d+ +error +the template uses "titel", which is not declared in inputs.properties; did you mean "title"\?/);
    // render refuses the same template for the same reasons (exit 2), never prints an empty speaker
    const rendered = await cli(['render', 'a/b@1.0.0', '--var', 'examples=[{"speaker":"ann","text":"hi"}]', '--var', 'customer={"name":"Bo"}'], { cwd: r.dir });
    expect(rendered.exitCode).toBe(2);
    expect(rendered.stdout).toBe('');
    expect(rendered.stderr).toContain('"examples[].speakr"');
    expect(rendered.stderr).toContain('did you mean "speaker"?');
  });
});

const SUITE_PROMPT = `id: a/b
version: 1.0.0
description: d
author: a@b.c
created: 2026-11-20
model: { provider: offline, name: echo-1 }
inputs:
  type: object
  properties:
    q: { type: string }
  additionalProperties: false
messages:
  - role: user
    content: "{{q}}"
`;

describe('suite checks read assertions as eval does (issue 9 item 4)', () => {
  it('invalid json-path syntax, a regex eval cannot compile ((?i)), length min > max, fields of the wrong type: validate errors and eval refuses', async () => {
    const r = reg({ prompts: {} });
    r.write('prompts/a/b/1.0.0.yaml', SUITE_PROMPT);
    r.write(
      'prompts/a/b/evals.yaml',
      `cases:
  - name: c1
    vars: { q: hi }
    assert:
      - { type: json-path, path: "$..x", equals: 1 }
      - { type: json-path, path: "$.a", matches: "a(?=b)" }
      - { type: regex, pattern: '(a)\\1' }
      - { type: length, min: 10, max: 2 }
      - { type: contains, value: { a: 1 } }
      - { type: regex, value: 12 }
      - { type: is-json, value: 3 }
`,
    );
    const v = await cli(['validate'], { cwd: r.dir });
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toContain('5:34   error    invalid json-path: expected a name after "." at column 3 of "$..x"  suite-json-path');
    expect(v.stdout).toMatch(/6:\d+ +error +invalid regular expression \/a\(\?=b\)\/: .*RE2 syntax: no lookahead.* {2}suite-regex-invalid/);
    expect(v.stdout).toMatch(/7:\d+ +error +invalid regular expression \/\(a\)\\1\/: .*backreferences.* {2}suite-regex-invalid/);
    expect(v.stdout).toContain('8:30   error    length: min 10 is greater than max 2, so no output can pass; swap them  suite-assertion-range');
    expect(v.stdout).toContain('9:34   error    contains value must be a text or a list of texts, got an object  suite-assertion-type');
    expect(v.stdout).toContain('10:31  error    regex value must be a string (a regular expression), got a number; quote it: value: "12"  suite-assertion-type');
    expect(v.stdout).toContain('11:33  warning  "value" does nothing in an is-json assertion (it reads no other field)  suite-assertion-unused');
    // eval reads the suite the same way: it refuses before any request (exit 1, location of the first)
    const e = await cli(['eval', 'a/b@1.0.0'], { cwd: r.dir });
    expect(e.exitCode).toBe(1);
    expect(e.stderr).toContain('prompts/a/b/evals.yaml:5:34: case "c1", assertion 1 (json-path): invalid json-path: expected a name after "."');
    // a suite validate passes, eval runs
    r.write('prompts/a/b/evals.yaml', 'cases:\n  - name: c1\n    vars: { q: hi }\n    assert:\n      - { type: regex, pattern: "ABC|hi", flags: i }\n      - { type: length, min: 1, max: 200 }\n');
    expect((await cli(['validate'], { cwd: r.dir })).exitCode).toBe(0);
    expect((await cli(['eval', 'a/b@1.0.0'], { cwd: r.dir })).exitCode).toBe(0);
  });

  it('a breaking bump that removes an input the suite still passes warns, naming the cases (bump and validate)', async () => {
    const r = reg({ git: true, prompts: { 'support/triage': ['1.0.0'] } });
    r.write(
      'prompts/support/triage/evals.yaml',
      'cases:\n  - name: vip\n    vars: { ticket: t, customer_tier: pro }\n  - name: plain\n    vars: { ticket: t }\n  - name: old-only\n    versions: "<2.0.0"\n    vars: { ticket: t, customer_tier: free }\n',
    );
    r.commitAll();
    const file = 'prompts/support/triage/1.0.0.yaml';
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(`${r.dir}/${file}`, 'utf8');
    r.write(file, text.replace("    customer_tier: { type: string, enum: [free, pro, enterprise] }\n", '').replace('{{#if customer_tier}}Tier: {{customer_tier}}{{/if}}', ''));
    const b = await cli(['bump', 'support/triage', '-m', 'drop the tier'], { cwd: r.dir });
    expect(b.exitCode).toBe(0);
    expect(b.stdout).toBe('prompts/support/triage/2.0.0.yaml\n');
    expect(b.stderr).toContain('warning: suite case "vip" passes "customer_tier", which 2.0.0 does not declare (eval of 2.0.0 would reject the case); limit it with versions: "<2.0.0" in prompts/support/triage/evals.yaml, or drop the var');
    expect(b.stderr).not.toContain('"plain"');
    expect(b.stderr).not.toContain('"old-only"');
    const v = await cli(['validate'], { cwd: r.dir });
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/warning +case "vip" passes "customer_tier", which version 2\.0\.0 does not declare \(eval of it would reject the case\)[^\n]*suite-var-removed/);
    expect(v.stdout).not.toMatch(/"old-only" passes/);
  });
});

describe('messages that help (issue 9 item 10)', () => {
  const promoted = async () => {
    const r = reg({ git: true, prompts: { 'support/triage': ['1.0.0', '1.1.0'] } });
    r.commitAll();
    const p = await cli(['promote', 'support/triage@1.0.0', '--env', 'development'], { cwd: r.dir });
    expect(p.exitCode, p.stderr).toBe(0);
    return r;
  };

  it('a deleted version file or prompt is MISSING FILE, never "unknown" with a did-you-mean of itself or a hint to create it', async () => {
    const r = await promoted();
    r.git('rm', '-q', 'prompts/support/triage/1.0.0.yaml');
    const v = await cli(['show', 'support/triage@1.0.0'], { cwd: r.dir });
    expect(v.exitCode).toBe(2);
    expect(v.stderr).toContain('"support/triage@1.0.0" is missing: prompts/support/triage/1.0.0.yaml was deleted, but development pins it');
    expect(v.stderr).not.toMatch(/did you mean|prompts new/);
    const e = await cli(['render', 'support/triage@development'], { cwd: r.dir });
    expect(e.exitCode).toBe(2);
    expect(e.stderr).toContain('"support/triage@development" is missing: environment "development" pins support/triage@1.0.0, but prompts/support/triage/1.0.0.yaml was deleted');
    // the whole prompt
    r.git('rm', '-q', '-r', 'prompts/support/triage');
    const st = await cli(['status'], { cwd: r.dir });
    expect(st.exitCode).toBe(1);
    expect(st.stdout).toMatch(/support\/triage +- +1\.0\.0 \(MISSING FILE\)/);
    expect(st.stdout).not.toContain('UNKNOWN');
    for (const args of [['show', 'support/triage'], ['render', 'support/triage@1.1.0']]) {
      const x = await cli(args, { cwd: r.dir });
      expect(x.exitCode).toBe(2);
      expect(x.stderr).toContain('prompt "support/triage" is missing');
      expect(x.stderr).toContain('its version files were deleted from prompts/support/triage/, but development pins 1.0.0');
      expect(x.stderr).not.toMatch(/did you mean|prompts new/);
    }
    // a prompt that never existed is still unknown, with its hint
    const u = await cli(['show', 'support/triag'], { cwd: r.dir });
    expect(u.stderr).toContain('unknown prompt "support/triag"');
  });

  it('a typo in an env-pin key names the pin\'s keys with a did-you-mean (and is not also a "missing" key)', async () => {
    const r = await promoted();
    const file = `${r.dir}/environments/development.yaml`;
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    sha256:', '    sha265:'));
    const v = await cli(['validate'], { cwd: r.dir });
    expect(v.exitCode).toBe(1);
    expect(v.stdout).toMatch(/error +unknown key "sha265" in the pin of "support\/triage"; did you mean "sha256"\? \(a pin's keys: version, sha256, deps, previous, promoted_at, promoted_by[^)]*\) +schema-unknown-key/);
    expect(v.stdout).not.toContain('missing required key "sha256"');
  });

  it('environment names: short typos (prd, dev, stg) get a did-you-mean; errors name the ref typed; render <id>@<env> --env <other> is an error', async () => {
    const r = await promoted();
    const prd = await cli(['render', 'support/triage@prd'], { cwd: r.dir });
    expect(prd.exitCode).toBe(2);
    expect(prd.stderr).toContain('unknown environment "prd" in "support/triage@prd"; did you mean "production"?');
    const dev = await cli(['show', 'support/triage@dev'], { cwd: r.dir });
    expect(dev.stderr).toContain('did you mean "development"?');
    const stg = await cli(['promote', 'support/triage@1.0.0', '--env', 'stg'], { cwd: r.dir });
    expect(stg.exitCode).toBe(2);
    expect(stg.stderr).toContain('unknown environment "stg"; did you mean "staging"?');
    const ver = await cli(['show', 'support/triage@1.0.1'], { cwd: r.dir });
    expect(ver.stderr).toContain('prompt "support/triage" has no version 1.0.1; did you mean "1.0.0"?');
    const notPinned = await cli(['show', 'support/triage@staging'], { cwd: r.dir });
    expect(notPinned.stderr).toContain('prompt "support/triage" is not pinned in environment "staging" (in "support/triage@staging")');
    const both = await cli(['render', 'support/triage@development', '--env', 'production', '--var', 'ticket=x'], { cwd: r.dir });
    expect(both.exitCode).toBe(2);
    expect(both.stdout).toBe('');
    expect(both.stderr).toContain('"support/triage@development" selects environment "development", so --env production contradicts it');
    expect(both.stderr).toContain('prompts render support/triage@1.0.0 --env production');
    // the same environment twice is only redundant
    expect((await cli(['render', 'support/triage@development', '--env', 'development', '--var', 'ticket=x'], { cwd: r.dir })).exitCode).toBe(0);
  });
});
