/** What the checks of every file kind share: the problem collector, own-key reads, pointers, provider names. */
import { didYouMean } from '../../core/suggest.js';
import { schemaFindings } from '../../registry/schema-findings.js';
import type { SchemaKind } from '../../paths.js';
import type { Doc, Pos } from '../doc.js';
import type { FileProblemEntry, Severity } from '../problem.js';
import type { CheckContext } from './types.js';

export type Obj = Record<string, unknown>;

/** A key of the file's own (never one inherited through a prototype). */
export function own(o: Obj, k: string): unknown {
  return Object.hasOwn(o, k) ? o[k] : undefined;
}

/** Escapes a key for a JSON pointer segment. */
export function ptr(...segs: (string | number)[]): string {
  return segs.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** Collects one file's problems; a position is asked of the document only when a problem is found. */
export class Reporter {
  readonly problems: FileProblemEntry[] = [];
  constructor(readonly doc: Doc) {}
  add(severity: Severity, rule: string, message: string, at: Pos): void {
    this.problems.push({ line: at.line, column: at.column, rule, message, severity });
  }
  error(rule: string, message: string, pointer: string, key?: string): void {
    this.add('error', rule, message, this.doc.pos(pointer, key));
  }
  warning(rule: string, message: string, pointer: string, key?: string): void {
    this.add('warning', rule, message, this.doc.pos(pointer, key));
  }
}

/** The file's conformance to its kind's JSON Schema. */
export function schemaStep(r: Reporter, kind: SchemaKind): void {
  for (const f of schemaFindings(kind, r.doc.value)) r.error(f.rule, f.message, f.pointer, f.key);
}

/** A provider name used somewhere must be declared in the config. */
export function checkProviderName(r: Reporter, name: unknown, pointer: string, ctx: CheckContext): void {
  if (typeof name !== 'string' || name === '' || ctx.providers === null) return;
  if (ctx.providers.includes(name)) return;
  const s = didYouMean(name, ctx.providers);
  const known = ctx.providers.length ? `providers in prompts.config.yaml: ${ctx.providers.join(', ')}` : 'prompts.config.yaml declares no providers';
  r.error('provider-unknown', `unknown provider "${name}"${s ? `; did you mean "${s}"?` : ''} (${known})`, pointer);
}
