import { afterEach, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { rmSync } from 'node:fs';
import { makeRegistry, type TempRegistry } from '../helpers/registry.js';
import { openRegistry } from '../../src/registry/registry.js';
import { resolveRef } from '../../src/registry/resolve-ref.js';
import { UsageError } from '../../src/errors.js';

const PIN = (v: string): string => `environment: staging
prompts:
  support/triage:
    version: ${v}
    sha256: ${'a'.repeat(64)}
    previous: null
    promoted_at: 2026-11-22T10:00:00Z
    promoted_by: Ana <ana@example.com>
    history: []
`;

let reg: TempRegistry | undefined;
afterEach(() => reg?.cleanup());

function setup(): ReturnType<typeof openRegistry> {
  reg = makeRegistry({ prompts: { 'support/triage': ['1.0.0', '1.1.0', '1.2.0-rc.1', '1.10.0'] } });
  reg.write('environments/staging.yaml', PIN('1.1.0'));
  return openRegistry(reg.dir);
}

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return e as UsageError;
  }
  throw new Error('expected a UsageError');
}

describe('resolveRef', () => {
  it('resolves a bare id and @latest to the highest semver version', () => {
    const r = setup();
    expect(resolveRef(r, 'support/triage')).toEqual({ id: 'support/triage', version: '1.10.0', file: path.join(r.root, 'prompts/support/triage/1.10.0.yaml') });
    expect(resolveRef(r, 'support/triage@latest').version).toBe('1.10.0');
  });

  it('resolves an explicit version, including prereleases', () => {
    const r = setup();
    expect(resolveRef(r, 'support/triage@1.2.0-rc.1').version).toBe('1.2.0-rc.1');
  });

  it('resolves @<env> to the pinned version and records via', () => {
    const r = setup();
    expect(resolveRef(r, 'support/triage@staging')).toMatchObject({ version: '1.1.0', via: 'staging' });
  });

  it('rejects an unknown version with a suggestion', () => {
    const e = usage(() => resolveRef(setup(), 'support/triage@1.1.1'));
    expect(e.message).toContain('has no version 1.1.1; did you mean "1.1.0"?');
  });

  it('rejects an unknown prompt with a suggestion', () => {
    const e = usage(() => resolveRef(setup(), 'support/triag'));
    expect(e.message).toContain('did you mean "support/triage"?');
  });

  it('rejects an unknown environment with a suggestion', () => {
    const e = usage(() => resolveRef(setup(), 'support/triage@stagin'));
    expect(e.message).toContain('unknown environment "stagin"');
    expect(e.message).toContain('did you mean "staging"?');
  });

  it('rejects an environment that does not pin the prompt', () => {
    const e = usage(() => resolveRef(setup(), 'support/triage@production'));
    expect(e.message).toContain('not pinned in environment "production"');
  });

  it('rejects a pin whose version file is missing', () => {
    const r = setup();
    rmSync(path.join(r.root, 'prompts/support/triage/1.1.0.yaml'));
    const e = usage(() => resolveRef(r, 'support/triage@staging'));
    expect(e.message).toContain('pins support/triage@1.1.0');
  });

  it.each(['../etc', 'Support/triage', 'a\\b', '/abs', 'trail/', 'support/triage@v1.0.0', 'support/triage@', 'a/b/c/d/e'])('rejects the invalid ref %s', (ref) => {
    usage(() => resolveRef(setup(), ref));
  });
});
