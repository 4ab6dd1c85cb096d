import { describe, it, expect, afterEach } from 'vitest';
import { existsSync, readFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsImport from 'ajv-formats';
import { sdkRegistry, pin, runCli, fileSha } from './sdk-fixture.js';
import { makeRegistry, promptYaml, type TempRegistry } from '../helpers/registry.js';
import type { BundleFile } from '../../src/sdk/bundle-format.js';

const addFormats = addFormatsImport as unknown as (ajv: Ajv2020) => Ajv2020;
const bundleSchema = JSON.parse(readFileSync(new URL('../../schemas/bundle.schema.json', import.meta.url), 'utf8')) as object;

let reg: TempRegistry | undefined;
afterEach(() => {
  reg?.cleanup();
  reg = undefined;
});

async function build(r: TempRegistry, ...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number; bundle?: BundleFile }> {
  const res = await runCli(r.dir, ['build', ...args]);
  let bundle: BundleFile | undefined;
  if (res.exitCode === 0 && !args.includes('-o')) bundle = JSON.parse(res.stdout) as BundleFile;
  return { ...res, bundle };
}

describe('prompts build', () => {
  it('bundles every pinned prompt with its sha256, overridden model, schemas and messages', async () => {
    reg = sdkRegistry({ git: true });
    const { bundle, exitCode, stderr } = await build(reg, '--env', 'production');
    expect(exitCode).toBe(0);
    expect(stderr).toBe('');
    const b = bundle!;
    expect(b.format).toBe('promptrail-bundle');
    expect(b.bundle_version).toBe(1);
    expect(b.environment).toBe('production');
    expect(b.built_at).toBeUndefined();
    expect(b.git.commit).toBe(reg.git('rev-parse', 'HEAD').trim());
    expect(b.git.dirty).toBe(false);
    expect(Object.keys(b.prompts)).toEqual(['summarize', 'support/triage']);
    const t = b.prompts['support/triage']!;
    expect(t.version).toBe('1.1.0');
    expect(t.sha256).toBe(fileSha(reg, 'support/triage', '1.1.0'));
    expect(t.source).toBe(readFileSync(path.join(reg.dir, 'prompts/support/triage/1.1.0.yaml'), 'utf8'));
    // production overrides temperature 0.1; max_tokens from the version file stays
    expect(t.model).toEqual({ provider: 'offline', name: 'echo-1', parameters: { temperature: 0.1, max_tokens: 400 } });
    expect(b.overrides).toEqual({ model: { parameters: { temperature: 0.1 } } });
    expect(t.inputs).toMatchObject({ required: ['ticket'] });
    expect(t.output).toMatchObject({ format: 'json', schema: { required: ['category'] } });
    expect(t.messages.map((m) => m.role)).toEqual(['system', 'user']);
    // `template:` becomes one user message; no inputs/output → null
    const s = b.prompts.summarize!;
    expect(s.messages).toEqual([{ role: 'user', content: 'Summarize in {{#if max_words}}{{max_words}}{{else}}50{{/if}} words: {{text}}' }]);
    expect(s.output).toBeNull();
    expect(s.model).toEqual({ provider: 'offline', name: 'echo-2', parameters: { temperature: 0.1 } });
  });

  it('writes bundles that conform to schemas/bundle.schema.json', async () => {
    reg = sdkRegistry({ git: true });
    const ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(bundleSchema);
    for (const env of ['production', 'development', 'staging']) {
      const { bundle } = await build(reg, '--env', env);
      expect(validate(bundle), JSON.stringify(validate.errors)).toBe(true);
    }
    const { bundle } = await build(reg, '--env', 'production', '--timestamp');
    expect(validate(bundle), JSON.stringify(validate.errors)).toBe(true);
  });

  it('BundleFile/BundleEntry keys match the schema\'s properties (types and schema do not drift)', async () => {
    reg = sdkRegistry({ git: true });
    const { bundle } = await build(reg, '--env', 'production', '--timestamp');
    const schema = bundleSchema as { properties: object; required: string[]; $defs: { entry: { properties: object }; arm: { properties: object; required: string[] } } };
    expect(Object.keys(bundle!).sort()).toEqual(Object.keys(schema.properties).sort());
    // an entry is an arm plus a running rollout; optional keys: `fallback` for versions that
    // declare one, `rollout` for pins with a rollout, uses/partials/deps/dep_sources for versions
    // with partials or parents
    expect(Object.keys(schema.$defs.entry.properties)).toEqual(['rollout']);
    const optional = new Set(['fallback', 'uses', 'partials', 'deps', 'dep_sources']);
    const always = Object.keys(schema.$defs.arm.properties).filter((k) => !optional.has(k)).sort();
    expect(Object.keys(bundle!.prompts.summarize!).sort()).toEqual(always);
    expect([...schema.$defs.arm.required].sort()).toEqual(always);
  });

  it('applies no overrides for an environment without them', async () => {
    reg = sdkRegistry();
    const { bundle } = await build(reg, '--env', 'development');
    expect(bundle!.overrides).toEqual({});
    expect(bundle!.prompts['support/triage']!.model.parameters).toEqual({ temperature: 0.2, max_tokens: 400 });
  });

  it('is deterministic: the same registry state builds byte-identical bundles', async () => {
    reg = sdkRegistry({ git: true });
    const a = await build(reg, '--env', 'production');
    const b = await build(reg, '--env', 'production');
    expect(a.stdout).toBe(b.stdout);
    await build(reg, '--env', 'production', '-o', 'out/a.json');
    await build(reg, '--env', 'production', '-o', 'out/b.json');
    const fa = readFileSync(path.join(reg.dir, 'out/a.json'), 'utf8');
    expect(fa).toBe(readFileSync(path.join(reg.dir, 'out/b.json'), 'utf8'));
    expect(fa).toBe(a.stdout);
  });

  it('--timestamp adds built_at and changes nothing else', async () => {
    reg = sdkRegistry({ git: true });
    const plain = await build(reg, '--env', 'production');
    const stamped = await build(reg, '--env', 'production', '--timestamp');
    const b = stamped.bundle!;
    expect(typeof b.built_at).toBe('string');
    expect(Number.isNaN(Date.parse(b.built_at!))).toBe(false);
    delete b.built_at;
    expect(b).toEqual(plain.bundle);
  });

  it('marks the bundle dirty (with a warning) when a bundled file has uncommitted changes', async () => {
    reg = sdkRegistry({ git: true });
    reg.write('prompts.config.yaml', `${readFileSync(path.join(reg.dir, 'prompts.config.yaml'), 'utf8')}# edited\n`);
    const res = await build(reg, '--env', 'production');
    expect(res.exitCode).toBe(0);
    expect(res.bundle!.git.dirty).toBe(true);
    expect(res.stderr).toContain('uncommitted changes');
  });

  it('is not dirty because of unrelated files, and has commit null outside git', async () => {
    reg = sdkRegistry({ git: true });
    reg.write('notes.txt', 'unrelated');
    reg.write('prompts/support/triage/1.2.0.yaml', promptYaml('support/triage', '1.2.0'));
    expect((await build(reg, '--env', 'production')).bundle!.git.dirty).toBe(false);
    reg.cleanup();
    reg = sdkRegistry({ git: false });
    const res = await build(reg, '--env', 'production');
    expect(res.bundle!.git).toEqual({ commit: null, dirty: false });
  });

  it('builds a valid empty bundle for an environment with nothing pinned', async () => {
    reg = sdkRegistry();
    const res = await build(reg, '--env', 'staging');
    expect(res.exitCode).toBe(0);
    expect(res.bundle!.prompts).toEqual({});
    expect(res.bundle!.environment).toBe('staging');
    // an empty bundle would deploy an app with no prompts: say so
    expect(res.stderr).toMatch(/warning: "staging" pins no prompts, so the bundle is empty/);
  });

  it('refuses an unknown environment with exit 2 and writes nothing', async () => {
    reg = sdkRegistry();
    const res = await build(reg, '--env', 'prodution', '-o', 'b.json');
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/^error: unknown environment "prodution"; did you mean "production"\?/);
    expect(res.stdout).toBe('');
    expect(existsSync(path.join(reg.dir, 'b.json'))).toBe(false);
  });

  it('refuses (exit 1) a pinned file that is missing, and leaves an existing output untouched', async () => {
    reg = sdkRegistry();
    const previous = '{ "format": "promptrail-bundle", "note": "previous bundle" }\n';
    reg.write('b.json', previous);
    pin(reg, 'production', { 'support/triage': '1.1.0' });
    rmSync(path.join(reg.dir, 'prompts/support/triage/1.1.0.yaml'));
    const res = await build(reg, '--env', 'production', '-o', 'b.json');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toContain('error: prompts/support/triage/1.1.0.yaml: environments/production.yaml pins support/triage@1.1.0, but prompts/support/triage/1.1.0.yaml does not exist');
    expect(readFileSync(path.join(reg.dir, 'b.json'), 'utf8')).toBe(previous);
  });

  it('refuses (exit 1) a pinned file whose sha256 does not match the environment file', async () => {
    reg = sdkRegistry();
    reg.write('prompts/summarize/1.0.0.yaml', `${readFileSync(path.join(reg.dir, 'prompts/summarize/1.0.0.yaml'), 'utf8')}# sneaky edit\n`);
    const res = await build(reg, '--env', 'production', '-o', 'b.json');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/error: prompts\/summarize\/1\.0\.0\.yaml: prompts\/summarize\/1\.0\.0\.yaml changed after it was promoted to production: its sha256 is [0-9a-f]{12}…, environments\/production\.yaml records [0-9a-f]{12}…/);
    expect(res.stderr).toContain('version files are immutable');
    expect(existsSync(path.join(reg.dir, 'b.json'))).toBe(false);
  });

  it('refuses (exit 1) a pinned file that cannot render, naming file and line', async () => {
    reg = makeRegistry();
    reg.write('prompts/bad/1.0.0.yaml', promptYaml('bad', '1.0.0', { body: '{{undeclared_var}}' }));
    pin(reg, 'production', { bad: '1.0.0' });
    const res = await build(reg, '--env', 'production');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: prompts\/bad\/1\.0\.0\.yaml:\d+:\d+: the template uses "undeclared_var", not declared in inputs/);
    expect(res.stdout).toBe('');
  });

  it('refuses (exit 1) a pinned file that is not a valid prompt file', async () => {
    reg = makeRegistry();
    reg.write('prompts/bad/1.0.0.yaml', promptYaml('bad', '1.0.0').replace('model:', 'modle:'));
    pin(reg, 'production', { bad: '1.0.0' });
    const res = await build(reg, '--env', 'production');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: prompts\/bad\/1\.0\.0\.yaml:\d+:\d+: /);
  });

  it('refuses a malformed environment file', async () => {
    reg = sdkRegistry();
    reg.write('environments/production.yaml', 'environment: production\nprompts: [1]\n');
    const res = await build(reg, '--env', 'production');
    expect(res.exitCode).toBe(1);
    expect(res.stderr).toMatch(/^error: environments\/production\.yaml:2:\d+: /);
  });

  it('--json with -o prints a summary; without -o the bundle is the one JSON document', async () => {
    reg = sdkRegistry({ git: true });
    const res = await build(reg, '--json', '--env', 'production', '-o', 'dist/prod.json');
    expect(res.exitCode).toBe(0);
    const summary = JSON.parse(res.stdout) as Record<string, unknown>;
    expect(summary).toMatchObject({ ok: true, environment: 'production', output: path.join(reg.dir, 'dist/prod.json'), dirty: false });
    expect(summary.prompts).toEqual([
      { id: 'summarize', version: '1.0.0', sha256: fileSha(reg, 'summarize', '1.0.0') },
      { id: 'support/triage', version: '1.1.0', sha256: fileSha(reg, 'support/triage', '1.1.0') },
    ]);
    const direct = await build(reg, '--json', '--env', 'production');
    expect(direct.bundle!.format).toBe('promptrail-bundle');
    expect(readFileSync(path.join(reg.dir, 'dist/prod.json'), 'utf8')).toBe(direct.stdout);
  });

  it('--json reports errors as one JSON document too', async () => {
    reg = sdkRegistry();
    const res = await runCli(reg.dir, ['--json', 'build', '--env', 'nope']);
    expect(res.exitCode).toBe(2);
    expect(JSON.parse(res.stdout)).toMatchObject({ ok: false, error: { exitCode: 2 } });
  });

  it('refuses -o pointing at a directory (exit 2)', async () => {
    reg = sdkRegistry();
    mkdirSync(path.join(reg.dir, 'out'));
    writeFileSync(path.join(reg.dir, 'out', 'keep'), 'x');
    const res = await build(reg, '--env', 'production', '-o', 'out');
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain('is a directory');
  });

  it('-o never overwrites a file that is not a bundle (exit 2, file untouched); it replaces its own bundle', async () => {
    reg = sdkRegistry();
    const config = readFileSync(path.join(reg.dir, 'prompts.config.yaml'), 'utf8');
    const res = await build(reg, '--env', 'production', '-o', 'prompts.config.yaml');
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain('exists and was not generated by "prompts build"; not overwriting it');
    expect(readFileSync(path.join(reg.dir, 'prompts.config.yaml'), 'utf8')).toBe(config);
    expect((await build(reg, '--env', 'production', '-o', 'bundle.json')).exitCode).toBe(0);
    const again = await build(reg, '--env', 'production', '-o', 'bundle.json');
    expect(again.exitCode).toBe(0);
  });

  it('reports an unwritable -o path as exit 2 without a stack trace', async () => {
    reg = sdkRegistry();
    writeFileSync(path.join(reg.dir, 'afile'), 'x');
    const res = await build(reg, '--env', 'production', '-o', 'afile/b.json');
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/^error: cannot write -o afile\/b\.json: .*afile is not a writable folder/);
    expect(readFileSync(path.join(reg.dir, 'afile'), 'utf8')).toBe('x');
  });

  it('exits 2 outside a registry', async () => {
    reg = makeRegistry({ config: null });
    const res = await build(reg, '--env', 'production');
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toContain('no promptrail registry found');
  });
});
