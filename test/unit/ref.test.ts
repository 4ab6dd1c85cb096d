import { describe, it, expect } from 'vitest';
import { idProblem, parseRef, sortVersions, latestVersion, isStrictSemver } from '../../src/core/ref.js';

describe('prompt ids', () => {
  it('accepts lower-case segments up to 4 deep', () => {
    expect(idProblem('support/triage')).toBeNull();
    expect(idProblem('a/b/c/d')).toBeNull();
    expect(idProblem('summarize')).toBeNull();
    expect(idProblem('v1.2_x-y')).toBeNull();
  });
  it.each([
    ['', /empty/],
    ['../etc', /"\.\." segments/],
    ['a/../b', /"\.\." segments/],
    ['/abs', /start with "\/"/],
    ['trailing/', /end with "\/"/],
    ['Support/Triage', /upper case.*"support\/triage"/],
    ['a\\b', /back-slashes/],
    ['a//b', /empty segment/],
    ['a/b/c/d/e', /at most 4 segments/],
    ['-lead', /must match/],
    ['a b', /must match/],
  ])('rejects %j', (id, re) => {
    expect(idProblem(id)).toMatch(re);
  });
});

describe('refs', () => {
  it('parses id, version, env and latest selectors', () => {
    expect(parseRef('support/triage')).toMatchObject({ id: 'support/triage', selector: { kind: 'latest' } });
    expect(parseRef('support/triage@latest')).toMatchObject({ selector: { kind: 'latest' } });
    expect(parseRef('support/triage@1.2.0-rc.1')).toMatchObject({ selector: { kind: 'version', version: '1.2.0-rc.1' } });
    expect(parseRef('support/triage@production')).toMatchObject({ selector: { kind: 'env', env: 'production' } });
  });
  it('rejects loose versions and bad ids', () => {
    expect(parseRef('x@v1.0.0')).toHaveProperty('problem');
    expect(parseRef('x@1.0')).toHaveProperty('problem');
    expect(parseRef('X@1.0.0')).toHaveProperty('problem');
    expect(parseRef('x@')).toHaveProperty('problem');
    // the commands add the "a reference is …" hint themselves; the problem must not repeat it
    expect((parseRef('x@') as { problem: string }).problem).not.toMatch(/<id>@<version>/);
  });
});

describe('versions', () => {
  it('orders by semver precedence', () => {
    expect(sortVersions(['1.10.0', '1.2.0', '1.2.0-rc.1', '0.9.0'])).toEqual(['0.9.0', '1.2.0-rc.1', '1.2.0', '1.10.0']);
    expect(latestVersion(['1.0.0', '1.1.0-rc.1'])).toBe('1.1.0-rc.1');
  });
  it('is strict', () => {
    expect(isStrictSemver('1.0.0')).toBe(true);
    expect(isStrictSemver('v1.0.0')).toBe(false);
    expect(isStrictSemver('1.0')).toBe(false);
    expect(isStrictSemver('01.0.0')).toBe(false);
  });
});
