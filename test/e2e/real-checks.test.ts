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
