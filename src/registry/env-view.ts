/**
 * Environment files read and written one pin at a time. An environment file grows to thousands
 * of pins, and promote/rollback change one. When every line of the file is what the serializer
 * writes, with valid values (env-canonical.ts: one regular expression per line, no parse, which
 * also finds each pin's block), only the changed pin's block is parsed, by the same strict reader
 * as whole files (fastParseEnv + envShapeOk), and the new block is spliced in: the bytes are
 * exactly what serializing the whole file would give. So a file broken anywhere is still refused
 * as a full read refuses it. Anything else (hand edits, another layout) takes the full reader,
 * with its positioned errors.
 */
import * as fs from 'node:fs';
import type { EnvironmentFile, EnvPin } from '../core/types.js';
import type { PinIn } from '../core/integrity.js';
import type { Registry } from './registry.js';
import { ENV_HEADER, envShapeOk, fastParseEnv, readEnvSnapshot, serializeEnv, type EnvSnapshot } from './env-store.js';
import { decodeRegistryBytes, readRegularFile, MAX_ENV_FILE_BYTES } from './files.js';
import { InternalError } from '../errors.js';
import { canonicalPins, type PinLayout } from './env-canonical.js';
import { own } from '../core/own.js';

/** An environment file as an env-changing command reads it: the snapshot, and how to write a change. */
export interface EnvView extends EnvSnapshot {
  /** the one pin `value` holds (a pin view), or null (`value` is the whole file) */
  pin: string | null;
  /** the bytes to write for `next`, a change of `value` (for a pin view: of that pin only) */
  render(next: EnvironmentFile): string;
}

/**
 * The environment file for a change of `scope`'s pin (null: of the whole file). Throws like
 * readEnvSnapshot (exit 1 with file:line:col) when the file is broken.
 */
export function readEnvView(registry: Registry, env: string, scope: string | null): EnvView {
  if (scope !== null) {
    const v = pinView(registry, env, scope);
    if (v) return v;
  }
  return { ...readEnvSnapshot(registry, env), pin: null, render: serializeEnv };
}

/**
 * `id`'s pin in each environment of the config, in config order. `known` holds files the
 * command has read already (the target, the `requires` environment): they are used as they are.
 * An environment file that cannot be read at all is left out: a broken other file is
 * `validate`'s business, not a reason to block.
 */
export function pinsOf(registry: Registry, id: string, known: ReadonlyMap<string, EnvironmentFile>): PinIn[] {
  const out: PinIn[] = [];
  for (const env of registry.config.environmentOrder) {
    const file = known.get(env);
    const rel = registry.rel(registry.envPath(env));
    if (file) {
      out.push({ env, pin: own(file.prompts, id), rel });
      continue;
    }
    try {
      out.push({ env, pin: readPin(registry, env, id), rel });
    } catch {
      /* unreadable or broken: left out */
    }
  }
  return out;
}

/** `id`'s pin in `env` (undefined when not pinned or the file does not exist). Throws like readEnvSnapshot. */
export function readPin(registry: Registry, env: string, id: string): EnvPin | undefined {
  return own(readEnvView(registry, env, id).value.prompts, id);
}

/**
 * The pin of `id` read from its block alone, when `text` is exactly as promote/rollback write
 * it: { pin } (pin undefined when the file has none for `id`), or null when the fast path cannot tell.
 */
export function pinBlock(text: string, id: string): { pin: EnvPin | undefined } | null {
  const layout = canonicalPins(text);
  const got = layout ? pinOf(text, layout, id) : null;
  return got && { pin: got.pin };
}

function pinOf(text: string, layout: PinLayout, id: string): { pin: EnvPin | undefined; environment: string; approvals: EnvironmentFile['approvals'] } | null {
  const b = layout.blocks.find((x) => x.id === id);
  // the approvals (after every pin) come with any pin: promote and rollout start count them
  const tail = text.slice(layout.tail);
  const mini = fastParseEnv(b ? `${layout.intro}prompts:\n${text.slice(b.start, b.end)}${tail}` : `${layout.intro}prompts: {}\n${tail}`);
  if (!mini || !envShapeOk(mini)) return null;
  const pin = own(mini.prompts, id);
  return b && !pin ? null : { pin, environment: mini.environment, approvals: mini.approvals };
}

function pinView(registry: Registry, env: string, id: string): EnvView | null {
  registry.assertEnv(env);
  const file = registry.envPath(env);
  const rel = registry.rel(file);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return null;
    return { env, file, rel, exists: false, bytes: null, value: { environment: env, prompts: {} }, pin: id, render: serializeEnv };
  }
  if (!st.isFile()) return null;
  const bytes = readRegularFile(file, MAX_ENV_FILE_BYTES);
  if (!Buffer.isBuffer(bytes)) return null;
  const decoded = decodeRegistryBytes(bytes, MAX_ENV_FILE_BYTES);
  if ('rule' in decoded) return null;
  const view = pinViewOfText(decoded.text, id);
  return view && { env, file, rel, exists: true, bytes: decoded.bytes, pin: id, ...view };
}

/**
 * The pin view of an environment file's text: `value` holds `id`'s pin alone, `render` splices
 * a change of it back into `text`. null when `text` is not in our own layout.
 */
export function pinViewOfText(text: string, id: string): { value: EnvironmentFile; render(next: EnvironmentFile): string } | null {
  const layout = canonicalPins(text);
  const got = layout ? pinOf(text, layout, id) : null;
  if (!layout || !got) return null;
  const value: EnvironmentFile = { environment: got.environment, prompts: got.pin ? { [id]: got.pin } : {}, ...(got.approvals ? { approvals: got.approvals } : {}) };
  return { value, render: (next) => splice(text, layout, id, value, next) };
}

/** `text` with `id`'s block replaced by (or, for a new pin, inserted as) the block of `next`'s pin. */
function splice(text: string, layout: PinLayout, id: string, before: EnvironmentFile, next: EnvironmentFile): string {
  const ids = Object.keys(next.prompts);
  // a one-pin change never touches the approvals: their bytes are kept as they are
  if (next.environment !== before.environment || next.approvals !== before.approvals || ids.length > 1 || (ids.length === 1 && ids[0] !== id)) {
    throw new InternalError(`a change of the pin of ${id} changed more than that pin of ${layout.intro.slice(ENV_HEADER.length + 1).trim()}`);
  }
  const pin = own(next.prompts, id);
  const block = pin ? serializeEnv({ environment: next.environment, prompts: { [id]: pin } }).slice(layout.intro.length + 'prompts:\n'.length) : '';
  const rest = layout.blocks.filter((b) => b.id !== id);
  if (rest.length === 0) return serializeEnv(next);
  const at = layout.blocks.find((b) => b.id === id);
  if (at) return text.slice(0, at.start) + block + text.slice(at.end);
  const after = layout.blocks.find((b) => id < b.id);
  const pos = after ? after.start : layout.tail;
  return text.slice(0, pos) + block + text.slice(pos);
}
