/** What validate reports: one problem at a file position, with a stable rule id. */
export type Severity = 'error' | 'warning';

export interface Problem {
  /** registry-relative path with "/" separators */
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
  severity: Severity;
}

/** A problem inside one file, before the engine attaches the file name (this is what is cached). */
export type FileProblemEntry = Omit<Problem, 'file'>;

export function sortProblems<T extends Problem>(list: T[]): T[] {
  return list.sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0) ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/** The result of a validate run, shared by all reporters. */
export interface ValidateResult {
  ok: boolean;
  /** number of registry files checked */
  files: number;
  /** the registry-relative paths that were checked (for per-file reporters such as junit) */
  checked: string[];
  errors: Problem[];
  warnings: Problem[];
  /** true when the config itself is broken (exit 2) */
  configError: boolean;
  /** the registry-relative prompts folder */
  promptsDir: string;
  /** --staged: nothing staged is a registry file (the text report then prints nothing when ok) */
  untouched?: boolean;
}

/** The result of a run from the problems it found and the files it checked. */
export function resultOf(problems: Problem[], checked: string[], configError: boolean, promptsDir: string): ValidateResult {
  sortProblems(problems);
  const errors = problems.filter((p) => p.severity === 'error');
  const warnings = problems.filter((p) => p.severity === 'warning');
  return { ok: errors.length === 0, files: checked.length, checked, errors, warnings, configError, promptsDir };
}
