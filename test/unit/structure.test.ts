/**
 * The structure rules of the code base (ARCHITECTURE.md), enforced: dependencies point one way
 * (cli -> commands -> apply/registry/eval/validate -> core), git runs only in src/git/, core/ is
 * pure, and there is no import cycle. For directions, type-only imports count (a type from cli/
 * in a lower layer is the same wrong direction, only cheaper at run time); a cycle is one of
 * modules loading each other (static or dynamic imports), which type-only ones never do.
 */
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { SRC, importsOf, sourceFiles, type Import } from '../helpers/import-graph.js';

/**
 * Known violations, each with the file, the rule and why; entries that no longer match fail the
 * test, so the list can only shrink.
 */
const ALLOWED: { file: string; rule: Rule; why: string }[] = [
  // the runtime's hot reload: load-bundle.ts imports refresh.ts lazily, which imports load-bundle.ts back
  { file: 'sdk/load-bundle.ts', rule: 'cycle', why: 'load-bundle -> (dynamic) refresh -> load-bundle (runtime branch, landed with it)' },
];

type Rule = 'cycle' | 'child-process' | 'raw-git' | 'core-impure' | 'imports-cli' | 'sdk-imports-cli';

const files = sourceFiles();
const imports = new Map(files.map((f) => [f, importsOf(f)]));
const NODE_IO = /^(node:)?(fs|fs\/promises|child_process|http|https|http2|net|tls|dgram|dns|worker_threads)$/;
const CHILD_PROCESS = /^(node:)?child_process$/;

interface Violation {
  file: string;
  rule: Rule;
  detail: string;
}

/** The names a file takes from git/run.ts's raw runner (git, gitBuffer), statically or dynamically. */
function rawGitNames(file: string): string[] {
  const text = readFileSync(path.join(SRC, file), 'utf8');
  const names: string[] = [];
  const clause = /(?:import\s*(?:type\s*)?\{([^}]*)\}\s*from|const\s*\{([^}]*)\}\s*=\s*await\s+import\()\s*['"]([^'"]*\/git\/run\.js)['"]/g;
  for (let m = clause.exec(text); m; m = clause.exec(text)) {
    for (const part of (m[1] ?? m[2] ?? '').split(',')) {
      const name = part.trim().split(/\s+as\s+|\s*:\s*/)[0];
      if (name === 'git' || name === 'gitBuffer') names.push(name);
    }
  }
  return names;
}

function violations(): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const list: Import[] = imports.get(file)!;
    const inGit = file.startsWith('git/');
    for (const i of list) {
      if (!inGit && CHILD_PROCESS.test(i.spec)) out.push({ file, rule: 'child-process', detail: `imports ${i.spec} (line ${i.line}); processes run in src/git/` });
      if (file.startsWith('core/') && NODE_IO.test(i.spec)) out.push({ file, rule: 'core-impure', detail: `imports ${i.spec} (line ${i.line}); core/ is pure domain logic` });
      if (!file.startsWith('cli/') && i.target?.startsWith('cli/')) {
        out.push({ file, rule: file.startsWith('sdk/') ? 'sdk-imports-cli' : 'imports-cli', detail: `imports ${i.target} (line ${i.line}); nothing below src/cli/ depends on it` });
      }
    }
    if (file.startsWith('core/') && /\bfetch\(/.test(readFileSync(path.join(SRC, file), 'utf8'))) out.push({ file, rule: 'core-impure', detail: 'calls fetch(); core/ does no network' });
    if (!inGit) for (const n of rawGitNames(file)) out.push({ file, rule: 'raw-git', detail: `runs git itself (${n} from git/run.js); add a function to src/git/ instead` });
  }
  for (const cycle of cycles()) out.push({ file: cycle[0]!, rule: 'cycle', detail: `import cycle: ${[...cycle, cycle[0]].join(' -> ')}` });
  return out;
}

/** Strongly connected components of more than one module (Tarjan), each as a path through the cycle. */
function cycles(): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const found: string[][] = [];
  const edges = (f: string): string[] => [...new Set(imports.get(f)!.flatMap((i) => (i.target && !i.typeOnly ? [i.target] : [])))];
  const strong = (v: string): void => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of edges(v)) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return found;
}

/** Package names src/ loads: imports, dynamic imports and createRequire() calls. */
function packagesUsed(): Set<string> {
  const used = new Set<string>();
  const req = /\brequire(?:Cjs)?\(\s*['"]([^'"]+)['"]/g;
  for (const f of files) {
    const specs = imports.get(f)!.map((i) => i.spec);
    const text = readFileSync(path.join(SRC, f), 'utf8');
    for (let m = req.exec(text); m; m = req.exec(text)) specs.push(m[1]!);
    for (const spec of specs) {
      if (spec.startsWith('.') || spec.startsWith('node:')) continue;
      used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return used;
}

/** Runtime dependencies no module loads yet (none). */
const UNUSED_ALLOWED: string[] = [];

describe('dependencies do their jobs', () => {
  const pkg = JSON.parse(readFileSync(path.join(SRC, '..', 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const used = packagesUsed();

  it('every runtime dependency is loaded by some module of src/ (a tool only tests use is a devDependency)', () => {
    expect(Object.keys(pkg.dependencies).filter((d) => !used.has(d) && !UNUSED_ALLOWED.includes(d))).toEqual([]);
    expect(UNUSED_ALLOWED.filter((d) => used.has(d) || !(d in pkg.dependencies))).toEqual([]);
  });

  it('every package src/ loads is a runtime dependency', () => {
    expect([...used].filter((p) => !(p in pkg.dependencies)).sort()).toEqual([]);
  });
});

describe('structure rules', () => {
  const all = violations();
  const allowed = (v: Violation): boolean => ALLOWED.some((a) => a.file === v.file && a.rule === v.rule);

  it('no import cycle, no process outside src/git/, a pure core/, nothing below cli/ importing it', () => {
    expect(all.filter((v) => !allowed(v)).map((v) => `${v.file}: ${v.rule}: ${v.detail}`)).toEqual([]);
  });

  it('the temporary allow-list holds only violations that still exist', () => {
    expect(ALLOWED.filter((a) => !all.some((v) => v.file === a.file && v.rule === a.rule)).map((a) => `${a.file}: ${a.rule}`)).toEqual([]);
  });

  it('the rules see what they are meant to see', () => {
    // a module of src/ that each rule would flag, checked against the helpers themselves
    expect(files).toContain('cli/main.ts');
    expect(imports.get('git/run.ts')!.some((i) => CHILD_PROCESS.test(i.spec))).toBe(true);
    expect(imports.get('cli/main.ts')!.some((i) => i.target === 'version.ts')).toBe(true);
  });
});
