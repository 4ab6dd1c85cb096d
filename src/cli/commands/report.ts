/**
 * `prompts report html <report.json>... [-o report.html]` and
 * `prompts report merge <report.json>... [-o merged.json]`: work on eval report files (the
 * JSON of `prompts eval -o`, run documents included) without a registry — a CI job that only
 * downloaded artifacts can run them.
 * Exit codes: 0 written; 1 the shard reports do not verify, or the merged eval is not ok (it is
 * still written); 2 usage — a file missing, not JSON, not an eval report, or an -o that is not
 * ours to overwrite.
 */
import * as path from 'node:path';
import type { CommandContext } from '../ui.js';
import { appendStepSummary } from '../ui.js';
import { UsageError } from '../../errors.js';
import { prepareOutput, writeOutput, displayPath } from '../output-file.js';
import { looksLikeReportJson, readReportFile, type EvalRunDocument, type ReportFile } from '../../eval/document.js';
import type { EvalReport } from '../../eval/report.js';
import { EVAL_REPORTERS } from '../reporters/eval-reporters.js';

export interface ReportHtmlOptions {
  output?: string;
  title?: string;
  artifactName?: string;
}

export interface ReportMergeOptions {
  output?: string;
}

async function readAll(ctx: CommandContext, files: readonly string[]): Promise<ReportFile[]> {
  if (files.length === 0) throw new UsageError('no report files given', { hint: 'pass the JSON reports written by "prompts eval -o <file>"' });
  const out: ReportFile[] = [];
  for (const f of files) out.push(await readReportFile(ctx.cwd, f));
  return out;
}

export async function runHtml(ctx: CommandContext, args: string[], o: ReportHtmlOptions): Promise<number> {
  const { isEvalHtml, renderEvalHtml } = await import('../reporters/eval-html.js');
  const out = o.output !== undefined ? prepareOutput(ctx.cwd, o.output, { command: 'report html', example: 'eval-report.html', isOurs: isEvalHtml }) : undefined;
  const files = await readAll(ctx, args);
  for (const f of files) if (out && path.resolve(f.file) === out.file) throw new UsageError(`-o ${o.output} is one of the input reports`);
  const html = renderEvalHtml(files.map((f) => f.doc), { title: o.title });
  if (out) {
    writeOutput(out.file, html);
    ctx.info(`wrote ${displayPath(ctx.cwd, out.file)} (${files.length} report file(s), ${Math.round(html.length / 1024)} KiB)`);
  } else ctx.stdout.write(html);
  if (ctx.env.GITHUB_STEP_SUMMARY) {
    const { makeDocument, reportsOf } = await import('../../eval/document.js');
    const { artifactLink } = await import('../reporters/eval-markdown.js');
    const docs = files.map((f) => f.doc);
    const doc: EvalReport | EvalRunDocument = docs.length === 1 ? docs[0]! : makeDocument(docs.flatMap(reportsOf), [], { selection: { mode: 'files' } });
    const name = o.artifactName ?? (out ? path.basename(out.file) : undefined);
    const md = await EVAL_REPORTERS.markdown(doc, { c: () => ctx.c(), artifact: name !== undefined ? artifactLink(name, ctx.env) : undefined });
    appendStepSummary(ctx, () => md);
  }
  return 0;
}

export async function runMerge(ctx: CommandContext, args: string[], o: ReportMergeOptions): Promise<number> {
  const out = o.output !== undefined ? prepareOutput(ctx.cwd, o.output, { command: 'report merge', example: 'merged.json', isOurs: looksLikeReportJson }) : undefined;
  const files = await readAll(ctx, args);
  for (const f of files) if (out && path.resolve(f.file) === out.file) throw new UsageError(`-o ${o.output} is one of the input reports; write the merge to another file`);
  const { mergeFiles } = await import('../../eval/merge.js');
  const merged = mergeFiles(files);
  const text = await EVAL_REPORTERS.json(merged, { c: () => ctx.c() });
  if (out) {
    writeOutput(out.file, text);
    const { reportsOf: all } = await import('../../eval/document.js');
    for (const r of all(merged)) ctx.info(`merged ${r.merged?.shards ?? 0} shard(s) of ${r.prompt}@${r.version} on ${r.provider}: ${r.passed}/${r.cases} passed${r.ok ? '' : ' (not ok)'}`);
    ctx.info(`wrote ${displayPath(ctx.cwd, out.file)}`);
  } else ctx.stdout.write(text);
  // the shards verified; the merged eval is judged like one run (e.g. its min_pass_rate)
  const { reportsOf } = await import('../../eval/document.js');
  const bad = reportsOf(merged).filter((r) => !r.ok);
  for (const r of bad) ctx.warn(`${r.prompt}@${r.version} on ${r.provider}: not ok (${r.passed}/${r.cases} passed${r.regressions.length ? `, ${r.regressions.length} regression(s)` : ''}${r.min_pass_rate !== null && r.pass_rate < r.min_pass_rate ? `, pass rate below ${r.min_pass_rate}` : ''})`);
  return bad.length ? 1 : 0;
}
