/**
 * `apply/`: the one path that carries out an environment change. Nothing else writes an
 * environment file.
 *
 * How a command plugs in (promote and rollback do exactly this; rollout start/set/advance/abort/
 * complete and approve are meant to, with no new copy of any of it):
 *
 *   1. options → gather: `startGitProbe(ctx.cwd, ctx.env)` first (work tree and author, running
 *      while you read files; `forRegistry` once the registry is open), then `readEnvView` of the
 *      target environment (registry/env-view.ts; its exact bytes are the compare-and-swap base;
 *      scoped to one pin when the change touches one pin, the whole file otherwise), whatever
 *      else the decision needs.
 *   2. plan, in `core/`: a pure function returning an `EnvChangePlan` (core/env-change.ts), a
 *      `NoChange`, or `Refused`. The plan carries the commit subject/body, the dry-run preview
 *      and JSON keys, and `mutate(fresh)`: the change as a function of the file as it is when
 *      written, returning the new file or a conflict Refusal (exit 3). `mutate` is called under
 *      the lock with the re-read file and again onto the remote's file when a push is rebased,
 *      so it must re-check everything the change depends on (e.g. "this prompt still pins X").
 *      A plan that still needs evidence (promote's gate) says so in `pending`; one whose `mutate`
 *      touches a single pin names it in `scope` (so it can be applied to a one-pin view).
 *   3. `preflight(registry, { probe, envFile, pinnedFile, commit, push })`: the git checks that
 *      must pass before the first write (the pinned file is committed, the push target, no
 *      unpushed commits ride along). It may be started early and awaited later; it returns the
 *      GitTarget the next two steps use, with notes to print (cli/env-command.ts: gitChecked).
 *   4. `--dry-run`: render the plan (cli/reporters/env-change.ts) and stop; nothing below runs.
 *   5. `applyPlan(plan, { registry, io, snap, git, label })`: lock, compare-and-swap re-read,
 *      `mutate`, atomic write, one commit of the env file alone, push with retry, and the undo
 *      (old bytes back, own commit dropped) when a later step fails. Refusals of `mutate` become
 *      ConflictErrors (exit 3).
 *   6. report the ApplyResult (cli/env-command.ts: reportApplied).
 *
 * A plan that is a NoChange with `--push` still runs `preflight` and `pushPending`: an earlier
 * run may have committed the change and failed (or been killed) before its push went out.
 *
 * `io` is a RunContext (src/context.ts): apply/ never imports cli/.
 */
export { applyPlan, pushAttemptsFromEnv, pushPending, type ApplyOptions, type ApplyResult, type PendingPushResult } from './transaction.js';
export { forRegistry, preflight, startGitProbe, type GitNote, type GitProbe, type GitTarget, type PreflightOptions, type WatchedFile } from './preflight.js';
export { refusalError } from './refusal.js';
