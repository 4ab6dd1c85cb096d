/**
 * How the user started this CLI, so the commands we suggest are ones they can type: `npx
 * prompts …` when it runs through npx or `npm exec` (npm then sets npm_command=exec and
 * npm_lifecycle_script to the command it ran, the bin name, quoted), plain `prompts …` otherwise
 * (on PATH, a global install, node_modules/.bin in a package script). Another program started by
 * npx inherits npm_command too, so the script must name this CLI as well.
 */
export function cliCommand(env: NodeJS.ProcessEnv): string {
  if (env.npm_command !== 'exec') return 'prompts';
  const first = (env.npm_lifecycle_script ?? '').trim().split(/\s+/)[0]?.replace(/^['"]|['"]$/g, '') ?? '';
  const bin = first.slice(first.lastIndexOf('/') + 1);
  return /^(prompts|promptrail)(@[^\s]*)?$/.test(bin) ? 'npx prompts' : 'prompts';
}
