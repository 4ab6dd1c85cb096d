/**
 * The build-time ajv standalone module (dist/validate/schemas.compiled.mjs, see precompile.ts),
 * or null when it is absent (running from src/ in tests) or cannot be loaded. Loaded once.
 */
export const compiledModule: Record<string, unknown> | null = await (async () => {
  try {
    return (await import(new URL('./schemas.compiled.mjs', import.meta.url).href)) as Record<string, unknown>;
  } catch {
    return null;
  }
})();
