/** The per-file checks (js-yaml, the compiled schemas, …), loaded once and only when some file is not answered by the cache. */
type Checks = typeof import('./checks/index.js');
let checksModule: Promise<Checks> | undefined;

export function loadChecks(): Promise<Checks> {
  checksModule ??= import('./checks/index.js');
  return checksModule;
}
