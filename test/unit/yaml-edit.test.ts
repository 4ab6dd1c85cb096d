import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { setTopLevelKeys } from '../../src/registry/yaml-edit.js';
import { gitignoreWithState, modeline, withModeline, isoDate } from '../../src/registry/scaffold.js';
import { hookScript, shellQuote, isPromptrailHook } from '../../src/git/hooks.js';

const SRC = `# yaml-language-server: $schema=../../schemas/prompt.schema.json
# header comment
id: support/triage   # trailing comment
version: 1.0.0   # v
description: "Quoted"
created: 2026-11-20
changes:
  - Initial version   # old item comment
  - second
# comment about tags
tags: [support, x]
model:
  provider: openai
  name: gpt   # keep me
`;

describe('setTopLevelKeys', () => {
  it('changes only the edited values; comments, quoting, flow style and spacing stay', () => {
    const out = setTopLevelKeys(SRC, { version: '1.1.0', created: '2026-11-22', changes: ['A change', 'with: colon', 'multi\nline'] });
    expect(out).toBe(
      SRC.replace('version: 1.0.0', 'version: 1.1.0')
        .replace('created: 2026-11-20', 'created: 2026-11-22')
        .replace('  - Initial version   # old item comment\n  - second', '  - A change\n  - "with: colon"\n  - "multi\\nline"'),
    );
    expect(parse(out)).toMatchObject({ version: '1.1.0', changes: ['A change', 'with: colon', 'multi\nline'] });
  });

  it('inserts missing keys after the first existing anchor key', () => {
    const out = setTopLevelKeys('id: a\nversion: 1.0.0\nmodel: {provider: x, name: y}\n', { created: '2026-11-22', changes: ['x'] }, ['version']);
    expect(out).toBe('id: a\nversion: 1.0.0\ncreated: 2026-11-22\nchanges:\n  - x\nmodel: {provider: x, name: y}\n');
  });

  it('appends missing keys at the end when no anchor exists', () => {
    expect(setTopLevelKeys('id: a', { author: 'me@example.com' })).toBe('id: a\nauthor: me@example.com\n');
  });

  it('replaces a flow sequence and keeps the item indentation of a block sequence', () => {
    expect(setTopLevelKeys('changes: [a, b]\nid: x\n', { changes: ['c'] })).toBe('changes:\n  - c\nid: x\n');
    expect(setTopLevelKeys('changes:\n    - a\nid: x\n', { changes: ['c', 'd'] })).toBe('changes:\n    - c\n    - d\nid: x\n');
    expect(setTopLevelKeys('changes:\n- a\nid: x\n', { changes: ['c'] })).toBe('changes:\n- c\nid: x\n');
    expect(setTopLevelKeys('changes: [a]\nid: x\n', { changes: [] })).toBe('changes: []\nid: x\n');
  });

  it('keeps CRLF line endings', () => {
    const crlf = 'id: a\r\nversion: 1.0.0\r\nchanges:\r\n  - old\r\nmodel: {provider: x, name: y}\r\n';
    const out = setTopLevelKeys(crlf, { version: '2.0.0', changes: ['n1', 'n2'], created: '2026-11-22' }, ['version']);
    expect(out).toBe('id: a\r\nversion: 2.0.0\r\ncreated: 2026-11-22\r\nchanges:\r\n  - n1\r\n  - n2\r\nmodel: {provider: x, name: y}\r\n');
  });

  it('quotes values that YAML would read as something else', () => {
    const out = setTopLevelKeys('a: x\n', { a: 'true', b: '1.0', c: '- dash', d: '#hash' });
    expect(parse(out)).toEqual({ a: 'true', b: '1.0', c: '- dash', d: '#hash' });
  });

  it('falls back to the Document API (still keeping comments) for an empty value', () => {
    const out = setTopLevelKeys('# c\nid: a\nchanges:\nversion: 1.0.0\n', { changes: ['x'] });
    expect(parse(out)).toEqual({ id: 'a', changes: ['x'], version: '1.0.0' });
    expect(out).toContain('# c');
  });
});

describe('scaffold helpers', () => {
  it('modeline paths are relative to the file', () => {
    expect(modeline('/r', '/r/prompts.config.yaml', 'config')).toBe('# yaml-language-server: $schema=./schemas/config.schema.json');
    expect(modeline('/r', '/r/prompts/a/1.0.0.yaml', 'prompt')).toBe('# yaml-language-server: $schema=../../schemas/prompt.schema.json');
    expect(modeline('/r', '/r/src/prompts/a/b/evals.yaml', 'suite')).toBe('# yaml-language-server: $schema=../../../../schemas/suite.schema.json');
  });

  it('withModeline replaces an existing modeline or puts one first', () => {
    expect(withModeline('# yaml-language-server: $schema=old\nid: a\n', '# yaml-language-server: $schema=new')).toBe('# yaml-language-server: $schema=new\nid: a\n');
    expect(withModeline('# other\nid: a\n', '# yaml-language-server: $schema=new')).toBe('# yaml-language-server: $schema=new\n# other\nid: a\n');
  });

  it('gitignoreWithState adds .prompts/ once', () => {
    expect(gitignoreWithState(null)).toBe('# promptrail local state (eval reports, response cache, locks)\n.prompts/\n');
    expect(gitignoreWithState('dist')).toBe('dist\n# promptrail local state (eval reports, response cache, locks)\n.prompts/\n');
    for (const existing of ['.prompts/\n', 'a\n/.prompts\n', '  .prompts  \r\n']) expect(gitignoreWithState(existing)).toBeNull();
    expect(gitignoreWithState('.prompts-other/\n')).not.toBeNull();
  });

  it('isoDate is the UTC date', () => {
    expect(isoDate(new Date('2026-11-22T23:59:59-05:00'))).toBe('2026-11-23');
  });
});

describe('hook script', () => {
  it('quotes the registry path for the shell and carries the marker', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    const s = hookScript('a b/c');
    expect(s).toContain(`REGISTRY="$REPO_ROOT"/'a b/c'`);
    expect(isPromptrailHook(s)).toBe(true);
    expect(isPromptrailHook('#!/bin/sh\nnpx lint-staged\n')).toBe(false);
    expect(hookScript('')).toContain('REGISTRY="$REPO_ROOT"\n');
  });

  it('falls back to the installing CLI (quoted), and says the commit is blocked when no CLI is found', () => {
    const s = hookScript('', "/opt/it's/bin/prompts.js");
    expect(s).toContain(`PROMPTS_CLI='/opt/it'\\''s/bin/prompts.js'`);
    expect(s).toContain(`exec node "$PROMPTS_CLI" -C "$REGISTRY" validate --staged`);
    expect(s).toContain(`exec "$PROMPTS_NODE" "$PROMPTS_CLI" -C "$REGISTRY" validate --staged`);
    const none = hookScript('', null);
    expect(none).not.toContain('PROMPTS_CLI');
    expect(none).toContain('the commit is blocked');
    expect(none).not.toContain('skipping');
  });
});
