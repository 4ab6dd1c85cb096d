/**
 * The eval family's `--format` → reporter table (prompts eval, prompts report): each reporter
 * takes a plain report or a run document and returns the text to print or write. Loaded lazily:
 * a run that prints text never loads the HTML reporter and its assets.
 */
import type { ChalkInstance } from 'chalk';
import type { EvalReport } from '../../eval/report.js';
import { isRunDocument, type EvalRunDocument } from '../../eval/document.js';
import type { ArtifactLink } from './eval-markdown.js';

export const EVAL_FORMATS = ['text', 'json', 'junit', 'html', 'markdown'] as const;
export type EvalFormat = (typeof EVAL_FORMATS)[number];

export interface ReporterContext {
  c: () => Promise<ChalkInstance>;
  /** the HTML report's artifact, named in the markdown summary */
  artifact?: ArtifactLink;
  /** text: one summary line per report instead of the case tables */
  compact?: boolean;
}

export type EvalDoc = EvalReport | EvalRunDocument;
export type EvalReporter = (doc: EvalDoc, ctx: ReporterContext) => Promise<string>;

export const EVAL_REPORTERS: Record<EvalFormat, EvalReporter> = {
  async text(doc, ctx) {
    const t = await import('./eval-text.js');
    const c = await ctx.c();
    if (isRunDocument(doc)) return t.renderDocumentText(doc, c, { compact: ctx.compact });
    return ctx.compact ? `${t.summaryLine(doc)}\n` : t.renderEvalText(doc, c);
  },
  json: (doc) => Promise.resolve(`${JSON.stringify(doc, null, 2)}\n`),
  async junit(doc) {
    return (await import('./eval-junit.js')).renderEvalJunit(doc);
  },
  async html(doc) {
    return (await import('./eval-html.js')).renderEvalHtml([doc]);
  },
  async markdown(doc, ctx) {
    return (await import('./eval-markdown.js')).renderMarkdown(doc, { artifact: ctx.artifact });
  },
};

export function isEvalFormat(s: string): s is EvalFormat {
  return (EVAL_FORMATS as readonly string[]).includes(s);
}
