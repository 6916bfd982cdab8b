// Reading the config schema's structure back from zod's own definitions (`schema.def`: object shapes,
// wrappers, union options), so that the reference table (describe.ts), the error messages
// (issues.ts), YAML output and config diffs (load.ts) all follow the one zod tree in schema.ts
// instead of a second description of it.
//
// Vocabulary: a *section* is a nested mapping of keys (schema.ts builds one with section()); a
// *field* is any other key: a value with a type, maybe a default, and a description.
import * as path from 'path';
import { z } from 'zod';

/** What must exist at a path: a file, a directory, either, or nothing (an output path). */
export type PathKind = 'file' | 'dir' | 'any' | 'no';

/** What a schema node says beyond zod's def (zod's own .meta() holds the key's description). */
export interface ConfigMeta {
  /** the value is a file system path, resolved relative to the config file (schema.ts pathType) */
  path?: PathKind;
  /** short type for the reference table, where the one derived from the def would not read well */
  label?: string;
  /** what an error message says is expected, where the derived one would not read well */
  expected?: string;
  /** how the reference shows a default computed from the context, e.g. "runs/<config name>" */
  shownDefault?: string;
}

/**
 * A typed zod registry (z.registry) for ConfigMeta. Metadata lives here rather than in zod's global
 * registry so its keys are checked by TypeScript; a .meta() clone still finds it (registries look up
 * a clone's parent).
 */
export const configMeta = z.registry<ConfigMeta>();

export type Schema = z.ZodType;

/** The description given with .meta({ description }), or ''. */
export function descriptionOf(s: Schema): string {
  return z.globalRegistry.get(s)?.description ?? '';
}

/** A path-typed node (a string pipe registered with { path }), or null. */
export function pathKindOf(s: Schema): PathKind | null {
  return configMeta.get(s)?.path ?? null;
}

/**
 * The schema under the wrappers that do not change what a value may be: defaults (.default,
 * .prefault) and a pipe's input stage (a section's null-to-missing z.preprocess). A path pipe
 * (string -> resolved path) is a leaf and is kept; so is .nullable(), which callers unwrap when they
 * know the value is not null.
 */
export function unwrap(s: Schema): Schema {
  for (;;) {
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault) s = s.def.innerType as Schema;
    else if (s instanceof z.ZodPipe && pathKindOf(s) === null) s = s.def.out as Schema;
    else return s;
  }
}

/** The keys of a section, in schema order; null when `s` is a field. */
export function sectionShape(s: Schema): Record<string, Schema> | null {
  const inner = unwrap(s);
  return inner instanceof z.ZodObject ? (inner.def.shape as Record<string, Schema>) : null;
}

/** Every field with its key path, in schema order. */
export function fieldsOf(root: Schema, prefix: string[] = []): Array<{ key: string[]; schema: Schema }> {
  const out: Array<{ key: string[]; schema: Schema }> = [];
  for (const [k, s] of Object.entries(sectionShape(root) ?? {})) {
    if (sectionShape(s)) out.push(...fieldsOf(s, [...prefix, k]));
    else out.push({ key: [...prefix, k], schema: s });
  }
  return out;
}

/** The node (section or field) at a dotted key ("train.lr"), or null. */
export function nodeAt(root: Schema, key: string): Schema | null {
  let node: Schema = root;
  for (const part of key.split('.')) {
    const shape = sectionShape(node);
    if (shape === null || !Object.prototype.hasOwnProperty.call(shape, part)) return null;
    node = shape[part]!;
  }
  return node;
}

export type FieldDefault = { kind: 'required' } | { kind: 'value'; value: unknown } | { kind: 'computed'; shown: string };

/** A field's default: a value, one computed from the context (shown as ConfigMeta.shownDefault), or none. */
export function defaultOf(field: Schema): FieldDefault {
  if (!(field instanceof z.ZodDefault)) return { kind: 'required' };
  const shown = configMeta.get(field)?.shownDefault;
  return shown !== undefined ? { kind: 'computed', shown } : { kind: 'value', value: field.def.defaultValue };
}

/** The shape of a raw YAML value, for picking the member of a union that should explain it. */
export type Shape = 'number' | 'string' | 'boolean' | 'list' | 'mapping' | 'null' | 'other';

/** The shape of a raw YAML value ('other' for what YAML does not produce). */
export function shapeOf(raw: unknown): Shape {
  if (raw === null) return 'null';
  if (Array.isArray(raw)) return 'list';
  switch (typeof raw) {
    case 'number':
      return 'number';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'object':
      return 'mapping';
    default:
      return 'other';
  }
}

/** The raw shapes a schema node can accept. */
export function shapesOf(s: Schema): Shape[] {
  s = unwrap(s);
  if (pathKindOf(s) !== null || s instanceof z.ZodString || s instanceof z.ZodEnum) return ['string'];
  if (s instanceof z.ZodLiteral) return [...new Set(s.def.values.map((v) => shapeOf(v)))];
  if (s instanceof z.ZodNumber) return ['number'];
  if (s instanceof z.ZodBoolean) return ['boolean'];
  if (s instanceof z.ZodArray || s instanceof z.ZodTuple) return ['list'];
  if (s instanceof z.ZodObject) return ['mapping'];
  if (s instanceof z.ZodNullable) return [...shapesOf(s.def.innerType as Schema), 'null'];
  if (s instanceof z.ZodUnion) return (s.def.options as Schema[]).flatMap(shapesOf);
  return ['other'];
}

/**
 * The member of a union that explains a list or mapping value: the only member that takes that
 * shape (a bad item in a list is then reported as such). -1 for a scalar, which is explained by
 * naming every member ("must be \"auto\" or a number in (0, 1]").
 */
export function memberFor(union: z.ZodUnion, raw: unknown): number {
  const shape = shapeOf(raw);
  if (shape !== 'list' && shape !== 'mapping') return -1;
  const fits = (union.def.options as Schema[]).map((o, i) => (shapesOf(o).includes(shape) ? i : -1)).filter((i) => i >= 0);
  return fits.length === 1 ? fits[0]! : -1;
}

/** A validated value as plain data in schema order, for YAML output (paths relative to `relativeTo`). */
export function toPlain(root: Schema, value: unknown, relativeTo: string | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const v = (value ?? {}) as Record<string, unknown>;
  for (const [key, s] of Object.entries(sectionShape(root) ?? {})) {
    const x = v[key];
    if (sectionShape(s)) out[key] = toPlain(s, x, relativeTo);
    else out[key] = relativeTo !== null && typeof x === 'string' && isPathField(s) ? path.relative(relativeTo, x) || '.' : x;
  }
  return out;
}

/** Whether a field holds a file system path (under its default and null wrappers). */
export function isPathField(s: Schema): boolean {
  s = unwrap(s);
  return pathKindOf(s instanceof z.ZodNullable ? (s.def.innerType as Schema) : s) !== null;
}

/** Dotted keys of the fields whose values differ between two validated values. */
export function differingKeys(root: Schema, a: unknown, b: unknown): string[] {
  const get = (obj: unknown, key: string[]) =>
    key.reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[k] : undefined), obj);
  return fieldsOf(root)
    .filter(({ key }) => JSON.stringify(get(a, key)) !== JSON.stringify(get(b, key)))
    .map(({ key }) => key.join('.'));
}
