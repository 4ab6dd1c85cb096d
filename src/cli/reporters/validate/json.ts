/** `validate --json` / `--format json`: the SPEC §8 shape. */
import type { Problem, ValidateResult } from '../../../validate/problem.js';

export interface ValidateJson {
  ok: boolean;
  files: number;
  errors: { file: string; line: number; column: number; rule: string; message: string }[];
  warnings: { file: string; line: number; column: number; rule: string; message: string }[];
}

const shape = (p: Problem): ValidateJson['errors'][number] => ({ file: p.file, line: p.line, column: p.column, rule: p.rule, message: p.message });

export function toJson(r: ValidateResult): ValidateJson {
  return { ok: r.ok, files: r.files, errors: r.errors.map(shape), warnings: r.warnings.map(shape) };
}

export function renderJson(r: ValidateResult): string {
  return `${JSON.stringify(toJson(r), null, 2)}\n`;
}
