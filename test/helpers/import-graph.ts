/** The import graph of src/ as the structure tests see it: every relative import of every module. */
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SRC = fileURLToPath(new URL('../../src', import.meta.url));

export interface Import {
  /** the module as written ('node:fs', 'ajv/dist/2020.js', '../git/run.js') */
  spec: string;
  /** for a relative import: the src-relative path of the .ts file it names */
  target?: string;
  typeOnly: boolean;
  dynamic: boolean;
  line: number;
}

const IMPORT = /(?:^|\n)[ \t]*(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|\bimport\(\s*\n?\s*['"]([^'"]+)['"]/g;

/** src-relative paths ("cli/main.ts") of every module under src/. */
export function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) out.push(path.relative(SRC, p).split(path.sep).join('/'));
    }
  };
  walk(SRC);
  return out.sort();
}

export function importsOf(rel: string): Import[] {
  const file = path.join(SRC, rel);
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (let m = IMPORT.exec(text); m; m = IMPORT.exec(text)) {
    const spec = (m[2] ?? m[3] ?? m[4])!;
    const line = text.slice(0, m.index + m[0].length).split('\n').length;
    const imp: Import = { spec, typeOnly: Boolean(m[1]), dynamic: m[2] === undefined, line };
    if (spec.startsWith('.')) {
      const ts = path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts');
      if (existsSync(ts)) imp.target = path.relative(SRC, ts).split(path.sep).join('/');
    }
    out.push(imp);
  }
  return out;
}

/** Every module reachable from `entry` (src-relative) through relative imports, type-only ones skipped. */
export function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (rel: string): void => {
    if (seen.has(rel)) return;
    seen.add(rel);
    for (const i of importsOf(rel)) if (i.target && !i.typeOnly) visit(i.target);
  };
  visit(entry);
  return seen;
}
