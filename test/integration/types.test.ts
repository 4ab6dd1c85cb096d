import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { sdkRegistry, runCli } from './sdk-fixture.js';
import { promptYaml, makeRegistry, type TempRegistry } from '../helpers/registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

let reg: TempRegistry;
beforeAll(() => {
  reg = sdkRegistry();
  // a newer, unpinned version: the default (latest) types use it, --env production does not
  reg.write('prompts/support/triage/1.2.0.yaml', promptYaml('support/triage', '1.2.0'));
});
afterAll(() => reg.cleanup());

/** Type-checks the files in `dir` with 'promptrail' mapped to this repo's src/index.ts. */
let lastProgram: ts.Program | undefined;
function typeErrors(dir: string, files: string[]): { file: string; line: number; message: string }[] {
  const program = ts.createProgram(
    files.map((f) => path.join(dir, f)),
    {
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules/@types')],
      paths: { promptrail: [path.join(ROOT, 'src/index.ts')] },
    },
    undefined,
    lastProgram, // reuses the parsed library files between the two checks
  );
  lastProgram = program;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : { line: -1 };
    return { file: d.file ? path.basename(d.file.fileName) : '', line: pos.line + 1, message: ts.flattenDiagnosticMessageText(d.messageText, '\n') };
  });
}

describe('prompts types', () => {
  it('prints types for each prompt\'s latest version by default', async () => {
    const res = await runCli(reg.dir, ['types']);
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toContain("from each prompt's latest version");
    expect(res.stdout).toContain('"support/triage": { version: "1.2.0"; inputs: SupportTriageInputs; output: SupportTriageOutput };');
    expect(res.stdout).toContain('"summarize": { version: "1.0.0"; inputs: SummarizeInputs; output: SummarizeOutput };');
    expect(res.stdout).toContain('export type SummarizeOutput = string;');
  });

  it('--env uses the pinned versions; -o writes the file; --json reports what was generated', async () => {
    const res = await runCli(reg.dir, ['--json', 'types', '--env', 'production', '-o', 'app/prompts.d.ts']);
    expect(res.exitCode).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual({
      ok: true,
      output: path.join(reg.dir, 'app/prompts.d.ts'),
      prompts: [
        { id: 'summarize', version: '1.0.0', inputs: 'SummarizeInputs', output: 'SummarizeOutput' },
        { id: 'support/triage', version: '1.1.0', inputs: 'SupportTriageInputs', output: 'SupportTriageOutput' },
      ],
    });
    const text = readFileSync(path.join(reg.dir, 'app/prompts.d.ts'), 'utf8');
    expect(text).toContain('"support/triage": { version: "1.1.0"');
    expect(text).toContain('/** The customer\'s message */\n  ticket: string;');
    expect(text).toContain('customer_tier?: "free" | "pro" | "enterprise";');
    expect(text).toContain('category: "billing" | "bug" | "other";');
    // deterministic
    const again = await runCli(reg.dir, ['types', '--env', 'production']);
    expect(again.stdout).toBe(text);
  });

  it('refuses an unknown env (exit 2) and a changed pinned file (exit 1) without writing', async () => {
    const bad = await runCli(reg.dir, ['types', '--env', 'nope', '-o', 'x.d.ts']);
    expect(bad.exitCode).toBe(2);
    const r = sdkRegistry();
    try {
      r.write('prompts/summarize/1.0.0.yaml', 'id: summarize\nversion: 1.0.0\nmodel: { provider: offline, name: x }\ntemplate: hi\n');
      const res = await runCli(r.dir, ['types', '--env', 'production', '-o', 'x.d.ts']);
      expect(res.exitCode).toBe(1);
      expect(res.stderr).toContain('changed after it was promoted');
      expect(existsSync(path.join(r.dir, 'x.d.ts'))).toBe(false);
    } finally {
      r.cleanup();
    }
    expect(existsSync(path.join(reg.dir, 'x.d.ts'))).toBe(false);
  });

  it('writes a module with no augmentation for an empty registry', async () => {
    const r = makeRegistry();
    try {
      const res = await runCli(r.dir, ['types']);
      expect(res.exitCode).toBe(0);
      expect(res.stdout).toContain('export {};');
    } finally {
      r.cleanup();
    }
  });

  it('type-checks get(id).render() and parseOutput(): a correct app compiles, wrong inputs do not', async () => {
    const app = path.join(reg.dir, 'tsapp');
    mkdirSync(app, { recursive: true });
    const gen = await runCli(reg.dir, ['types', '--env', 'production', '-o', 'tsapp/prompts.d.ts']);
    expect(gen.exitCode).toBe(0);
    writeFileSync(path.join(app, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      path.join(app, 'good.ts'),
      `import { loadBundle, type PromptMap } from 'promptrail';
const prompts = await loadBundle('prod.json');
const r = prompts.get('support/triage').render({ ticket: 'x', customer_tier: 'pro', tags: ['a'] });
const version: string = r.version;
const out = prompts.get('support/triage').parseOutput('{}');
const category: 'billing' | 'bug' | 'other' = out.category;
const reply: string | undefined = out.reply;
const summary: string = prompts.get('summarize').parseOutput('x');
prompts.get('summarize').render({ text: 'a', max_words: 3 });
prompts.get('not/typed').render({ anything: 1 });
const pinned: PromptMap['support/triage']['version'] = '1.1.0';
console.log(version, category, reply, summary, pinned);
`,
    );
    writeFileSync(
      path.join(app, 'bad.ts'),
      `import { loadBundle } from 'promptrail';
const prompts = await loadBundle('prod.json');
prompts.get('support/triage').render({ ticket: 42 });
prompts.get('support/triage').render({});
prompts.get('support/triage').render({ ticket: 'x', customer_tier: 'gold' });
prompts.get('summarize').render({ text: 'a', extra: 1 });
const n: number = prompts.get('support/triage').parseOutput('{}').category;
console.log(n);
`,
    );
    const errors = typeErrors(app, ['prompts.d.ts', 'good.ts', 'bad.ts']);
    expect(errors.filter((e) => e.file !== 'bad.ts')).toEqual([]);
    const badLines = errors.filter((e) => e.file === 'bad.ts').map((e) => e.line);
    expect([...new Set(badLines)].sort()).toEqual([3, 4, 5, 6, 7]);
    // without the generated file the same app compiles (untyped), so the errors come from the types
    expect(typeErrors(app, ['bad.ts']).filter((e) => e.line !== 7)).toEqual([]);
  });
});
