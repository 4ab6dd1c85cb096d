/**
 * The per-file checks of `prompts validate`: everything that can be decided from one file's
 * bytes, its registry-relative path and the config (providers, environment names). Results are
 * pure functions of those inputs, which is what makes them cacheable by content hash. One file
 * per kind (prompt.ts, suite.ts, environment.ts, config.ts); the cross-file checks (pins,
 * suite vars, structure, immutability) are phases of the engine.
 */
import { decodeRegistryBytes, MAX_ENV_FILE_BYTES, MAX_FILE_BYTES } from '../../registry/files.js';
import { fastDoc, NeedPositions, type Doc } from '../doc.js';
import { fastParse } from '../fast-yaml.js';
import { Reporter } from './reporter.js';
import { checkPrompt, inputFacts } from './prompt.js';
import { caseFacts, checkSuite } from './suite.js';
import { checkEnvironment } from './environment.js';
import { checkConfig } from './config.js';
import type { CheckContext, FileKind, FileOutcome } from './types.js';

export type { CaseFact, CheckContext, FileKind, FileOutcome, InputFacts, PinFact } from './types.js';

/**
 * The careful path (the `yaml` package, positions) is loaded on demand: a run whose files are
 * all clean, or answered by the cache, never pays for it. checkFile throws NeedSlowPath when
 * it needs it before loadSlowPath() has run; checkFileAsync does that dance.
 */
export class NeedSlowPath extends Error {}
type Slow = { parseYaml: typeof import('../../registry/yaml.js').parseYaml; fullDoc: typeof import('../full-doc.js').fullDoc };
let slow: Slow | undefined;
export async function loadSlowPath(): Promise<void> {
  if (!slow) {
    const [y, f] = await Promise.all([import('../../registry/yaml.js'), import('../full-doc.js')]);
    slow = { parseYaml: y.parseYaml, fullDoc: f.fullDoc };
  }
}

function runChecks(kind: FileKind, doc: Doc, rel: string, ctx: CheckContext): FileOutcome {
  const r = new Reporter(doc);
  switch (kind) {
    case 'prompt': {
      const res = checkPrompt(r, rel, ctx);
      return { problems: r.problems, inputs: inputFacts(doc.value), ...(res ? { res } : {}) };
    }
    case 'suite':
      checkSuite(r, ctx);
      return { problems: r.problems, cases: caseFacts(doc.value) };
    case 'environment': {
      const pins = checkEnvironment(r, rel, ctx);
      return { problems: r.problems, pins };
    }
    case 'config':
      checkConfig(r);
      return { problems: r.problems };
  }
}

/**
 * Checks one registry file. Never throws for bad input: every problem becomes an entry.
 * Clean files take the fast path (js-yaml, no positions); any finding re-runs the checks on
 * the `yaml` document so each problem has its exact line:column.
 */
export function checkFile(kind: FileKind, rel: string, bytes: Uint8Array, ctx: CheckContext): FileOutcome {
  // environment files grow with pins × history (written by promote), so they may be larger
  const decoded = decodeRegistryBytes(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes), kind === 'environment' ? MAX_ENV_FILE_BYTES : MAX_FILE_BYTES);
  if ('rule' in decoded) {
    return { problems: [{ line: decoded.line ?? 1, column: decoded.column ?? 1, rule: decoded.rule, message: decoded.message, severity: 'error' }] };
  }
  return checkText(kind, rel, decoded.text, ctx);
}

export function checkText(kind: FileKind, rel: string, text: string, ctx: CheckContext): FileOutcome {
  const fast = fastParse(text);
  if (fast) {
    try {
      const out = runChecks(kind, fastDoc(fast), rel, ctx);
      if (out.problems.length === 0) return out;
    } catch (e) {
      if (!(e instanceof NeedPositions)) throw e;
    }
  }
  if (!slow) throw new NeedSlowPath();
  const parsed = slow.parseYaml(text);
  if (parsed.issues.length) {
    return { problems: parsed.issues.map((i) => ({ line: i.line, column: i.column, rule: i.rule, message: i.message, severity: 'error' as const })) };
  }
  return runChecks(kind, slow.fullDoc(parsed, text), rel, ctx);
}

/** checkFile, loading the careful path first when the file needs it. */
export async function checkFileAsync(kind: FileKind, rel: string, bytes: Uint8Array, ctx: CheckContext): Promise<FileOutcome> {
  try {
    return checkFile(kind, rel, bytes, ctx);
  } catch (e) {
    if (!(e instanceof NeedSlowPath)) throw e;
    await loadSlowPath();
    return checkFile(kind, rel, bytes, ctx);
  }
}
