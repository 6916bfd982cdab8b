// A small schema DSL for YAML configs: value types that check and convert a raw YAML value, fields
// (type + default + one-line doc) and sections (nested keys). One schema value drives validation,
// defaults, the TypeScript type of the result (Infer<>), YAML output and the Markdown reference.
//
//   const schema = section('', {
//     train: section('Training', {
//       lr: field(num({ gt: 0 }), 0.1, 'learning rate'),
//     }),
//   });
//   type Cfg = Infer<typeof schema>;   // { train: { lr: number } }
//
// Value types report problems as the text that follows the key in an error message
// ("must be a number > 0, got \"fast\""); the loader adds the file name and key path.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { closestMatch } from './suggest';

/** What value types and computed defaults may depend on. */
export interface CheckContext {
  /** folder that relative paths are resolved against (the config file's folder) */
  baseDir: string;
  /** whether paths that must exist are checked (off when re-reading a saved config) */
  checkPaths: boolean;
  /** the config's name: its file name without the .yaml extension */
  configName: string;
  /** working directory, for defaults relative to where nasgrow runs */
  cwd: string;
}

export type KeyPath = Array<string | number>;

export type Outcome<T> =
  | { ok: true; value: T }
  /** problem: the text after the key ("must be ..."); at: where inside the value (list index ...) */
  | { ok: false; problem: string; at?: KeyPath };

/** The shape of a raw YAML value, used by either() to pick the member that should explain an error. */
export type Shape = 'number' | 'string' | 'boolean' | 'list' | 'mapping' | 'null';

export function shapeOf(raw: unknown): Shape | 'other' {
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

export interface ValueType<T> {
  /** short type for the reference table, e.g. "number > 0" */
  readonly label: string;
  /** what an error message says is expected, e.g. "a number > 0" */
  readonly expected: string;
  /** plural form used inside "a list of ...", e.g. "numbers > 0" */
  readonly plural?: string;
  /** raw shapes this type can accept */
  readonly shapes: readonly Shape[];
  parse(raw: unknown, ctx: CheckContext): Outcome<T>;
  /** plain data for YAML output; paths are written relative to `relativeTo` when it is given */
  toPlain?(value: T, relativeTo: string | null): unknown;
}

/** A raw value as an error message shows it: strings quoted, long values shortened. */
export function describeValue(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? raw.slice(0, 57) + '...' : raw);
  if (raw === null || typeof raw !== 'object') return String(raw);
  if (Array.isArray(raw)) {
    const text = JSON.stringify(raw);
    return text.length > 60 ? `a list of ${raw.length} items` : text.replace(/,/g, ', ');
  }
  const keys = Object.keys(raw);
  return keys.length === 0 ? 'an empty mapping' : `a mapping (${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''})`;
}

export function mismatch<T>(expected: string, raw: unknown): Outcome<T> {
  return { ok: false, problem: `must be ${expected}, got ${describeValue(raw)}` };
}

// ---------------------------------------------------------------------------------------------
// Scalars

export interface Bounds {
  /** inclusive lower bound */
  min?: number;
  /** exclusive lower bound */
  gt?: number;
  /** inclusive upper bound */
  max?: number;
  /** exclusive upper bound */
  lt?: number;
}

function boundsText(b: Bounds): string {
  const lo = b.min !== undefined ? { v: b.min, incl: true } : b.gt !== undefined ? { v: b.gt, incl: false } : null;
  const hi = b.max !== undefined ? { v: b.max, incl: true } : b.lt !== undefined ? { v: b.lt, incl: false } : null;
  if (lo && hi) return ` in ${lo.incl ? '[' : '('}${lo.v}, ${hi.v}${hi.incl ? ']' : ')'}`;
  if (lo) return ` ${lo.incl ? '>=' : '>'} ${lo.v}`;
  if (hi) return ` ${hi.incl ? '<=' : '<'} ${hi.v}`;
  return '';
}

function inBounds(x: number, b: Bounds): boolean {
  return (
    (b.min === undefined || x >= b.min) &&
    (b.gt === undefined || x > b.gt) &&
    (b.max === undefined || x <= b.max) &&
    (b.lt === undefined || x < b.lt)
  );
}

/** An integer, optionally bounded. */
export function int(bounds: Bounds = {}): ValueType<number> {
  const b = boundsText(bounds);
  const expected = `an integer${b}`;
  return {
    label: `int${b}`,
    expected,
    plural: `integers${b}`,
    shapes: ['number'],
    parse: (raw) => (typeof raw === 'number' && Number.isInteger(raw) && inBounds(raw, bounds) ? { ok: true, value: raw } : mismatch(expected, raw)),
  };
}

/** A finite number, optionally bounded. */
export function num(bounds: Bounds = {}): ValueType<number> {
  const b = boundsText(bounds);
  const expected = `a number${b}`;
  return {
    label: `number${b}`,
    expected,
    plural: `numbers${b}`,
    shapes: ['number'],
    parse: (raw) => (typeof raw === 'number' && Number.isFinite(raw) && inBounds(raw, bounds) ? { ok: true, value: raw } : mismatch(expected, raw)),
  };
}

/** A non-empty string. */
export function str(): ValueType<string> {
  const expected = 'a non-empty string';
  return {
    label: 'string',
    expected,
    plural: 'non-empty strings',
    shapes: ['string'],
    parse: (raw) => (typeof raw === 'string' && raw.length > 0 ? { ok: true, value: raw } : mismatch(expected, raw)),
  };
}

export function bool(): ValueType<boolean> {
  const expected = 'true or false';
  return {
    label: 'bool',
    expected,
    plural: 'booleans',
    shapes: ['boolean'],
    parse: (raw) => (typeof raw === 'boolean' ? { ok: true, value: raw } : mismatch(expected, raw)),
  };
}

/** One of a fixed set of strings; a near miss gets a "did you mean" hint. */
export function oneOf<const V extends string>(values: readonly V[]): ValueType<V> {
  const expected = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.join(', ')}`;
  return {
    label: values.join(' | '),
    expected,
    shapes: ['string'],
    parse: (raw) => {
      if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return { ok: true, value: raw as V };
      const bad = mismatch<V>(expected, raw);
      const hint = typeof raw === 'string' ? closestMatch(raw, values) : null;
      return hint && !bad.ok ? { ok: false, problem: `${bad.problem} (did you mean ${hint}?)` } : bad;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Combinators

export interface ListOptions {
  minLength?: number;
  /** each item strictly greater than the one before */
  increasing?: boolean;
  /** no item twice (compared as JSON) */
  unique?: boolean;
}

/** A YAML list whose items all have type `item`; a bad item is reported with its index. */
export function list<T>(item: ValueType<T>, opts: ListOptions = {}): ValueType<T[]> {
  const expected = `a list of ${item.plural ?? item.label}`;
  return {
    label: `list of ${item.label}`,
    expected,
    shapes: ['list'],
    parse: (raw, ctx) => {
      if (!Array.isArray(raw)) return mismatch(expected, raw);
      if (opts.minLength !== undefined && raw.length < opts.minLength) {
        return { ok: false, problem: `must have at least ${opts.minLength} item${opts.minLength === 1 ? '' : 's'}, got ${describeValue(raw)}` };
      }
      const out: T[] = [];
      for (let i = 0; i < raw.length; i++) {
        const r = item.parse(raw[i], ctx);
        if (!r.ok) return { ok: false, problem: r.problem, at: [i, ...(r.at ?? [])] };
        out.push(r.value);
      }
      for (let i = 1; i < out.length; i++) {
        if (opts.increasing && !((out[i] as unknown as number) > (out[i - 1] as unknown as number))) {
          return { ok: false, problem: `must be increasing, got ${describeValue(raw)}` };
        }
        if (opts.unique && out.slice(0, i).some((o) => JSON.stringify(o) === JSON.stringify(out[i]))) {
          return { ok: false, problem: `must not repeat ${describeValue(raw[i])}`, at: [i] };
        }
      }
      return { ok: true, value: out };
    },
    toPlain: item.toPlain ? (v, rel) => v.map((x) => item.toPlain!(x, rel)) : undefined,
  };
}

/** `null` or a value of type t. */
export function nullable<T>(t: ValueType<T>): ValueType<T | null> {
  return {
    label: `${t.label} or null`,
    expected: `${t.expected} or null`,
    shapes: [...t.shapes, 'null'],
    parse: (raw, ctx) => (raw === null ? { ok: true, value: null } : t.parse(raw, ctx)),
    toPlain: t.toPlain ? (v, rel) => (v === null ? null : t.toPlain!(v, rel)) : undefined,
  };
}

/**
 * A value of type a or of type b. When the raw value's shape fits only one of them, that member's
 * own message explains the error (a bad item in a list is reported as such).
 */
export function either<A, B>(a: ValueType<A>, b: ValueType<B>): ValueType<A | B> {
  const expected = `${a.expected} or ${b.expected}`;
  return {
    label: `${a.label} or ${b.label}`,
    expected,
    shapes: [...a.shapes, ...b.shapes],
    parse: (raw, ctx) => {
      const shape = shapeOf(raw);
      const fitsA = (a.shapes as readonly string[]).includes(shape);
      const fitsB = (b.shapes as readonly string[]).includes(shape);
      // A list that fits one member is best explained by that member (which item is wrong);
      // a scalar by naming both alternatives.
      const detailed = shape === 'list' || shape === 'mapping';
      if (fitsA !== fitsB) {
        const r = fitsA ? a.parse(raw, ctx) : b.parse(raw, ctx);
        return r.ok || detailed ? r : mismatch(expected, raw);
      }
      if (fitsA && fitsB) {
        const ra = a.parse(raw, ctx);
        if (ra.ok) return ra;
        const rb = b.parse(raw, ctx);
        if (rb.ok) return rb;
      }
      return mismatch(expected, raw);
    },
    // (no toPlain: either() is not meant for path types, whose output form depends on the member)
  };
}

export interface PathOptions {
  /** what must exist at the path: a file, a directory, either, or nothing (an output path) */
  mustExist: 'file' | 'dir' | 'any' | 'no';
}

/**
 * A file system path, resolved relative to the config file's folder (`~/` is the home folder) and,
 * for inputs, checked to exist. The parsed value is absolute.
 */
export function pathType(opts: PathOptions): ValueType<string> {
  const what = opts.mustExist === 'file' ? 'file' : opts.mustExist === 'dir' ? 'directory' : 'file or directory';
  const expected = opts.mustExist === 'no' ? 'a path' : `a path to an existing ${what}`;
  return {
    label: opts.mustExist === 'no' ? 'path' : `path (existing ${what})`,
    expected,
    plural: opts.mustExist === 'no' ? 'paths' : `paths to existing ${what}s`,
    shapes: ['string'],
    parse: (raw, ctx) => {
      if (typeof raw !== 'string' || raw.length === 0) return mismatch(expected, raw);
      const expanded = raw === '~' ? os.homedir() : raw.startsWith('~/') ? path.join(os.homedir(), raw.slice(2)) : raw;
      const resolved = path.resolve(ctx.baseDir, expanded);
      if (!ctx.checkPaths || opts.mustExist === 'no') return { ok: true, value: resolved };
      const from = path.isAbsolute(expanded) ? '' : ` (relative paths are resolved from the config file's folder, ${ctx.baseDir})`;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(resolved);
      } catch {
        return { ok: false, problem: `points to ${resolved}, which does not exist${from}` };
      }
      if (opts.mustExist === 'file' && !stat.isFile()) return { ok: false, problem: `points to ${resolved}, which is not a file` };
      if (opts.mustExist === 'dir' && !stat.isDirectory()) return { ok: false, problem: `points to ${resolved}, which is not a directory` };
      return { ok: true, value: resolved };
    },
    toPlain: (v, rel) => (rel === null ? v : path.relative(rel, v) || '.'),
  };
}

// ---------------------------------------------------------------------------------------------
// Fields and sections

/** Marks a field that has no default: leaving it out is an error. */
export const REQUIRED: unique symbol = Symbol('required');

/** A default computed from the context (e.g. from the config file's name). */
export class Computed<T> {
  constructor(
    /** how the reference shows it, e.g. "runs/<config name>" */
    readonly shown: string,
    readonly compute: (ctx: CheckContext) => T,
  ) {}
}

export interface Field<T> {
  readonly kind: 'field';
  readonly type: ValueType<T>;
  readonly default: T | typeof REQUIRED | Computed<T>;
  readonly doc: string;
}

export interface Section<M extends Members> {
  readonly kind: 'section';
  readonly doc: string;
  readonly members: M;
}

export type SchemaNode = Field<unknown> | Section<Members>;
export type Members = { readonly [key: string]: SchemaNode };

export function field<T>(type: ValueType<T>, dflt: T | typeof REQUIRED | Computed<T>, doc: string): Field<T> {
  return { kind: 'field', type, default: dflt, doc };
}

export function section<M extends Members>(doc: string, members: M): Section<M> {
  return { kind: 'section', doc, members };
}

/** The TypeScript type of a validated config. */
export type Infer<N> = N extends Field<infer T> ? T : N extends Section<infer M> ? { -readonly [K in keyof M]: Infer<M[K]> } : never;

// ---------------------------------------------------------------------------------------------
// Walking a schema

/** A problem found while validating; `problem` is the text after the key path. */
export interface Issue {
  path: KeyPath;
  problem: string;
}

/** "train.milestones[1]"; the root is "(top level)". */
export function formatKeyPath(p: KeyPath): string {
  let s = '';
  for (const k of p) s += typeof k === 'number' ? `[${k}]` : s === '' ? k : `.${k}`;
  return s === '' ? '(top level)' : s;
}

function isMapping(raw: unknown): raw is Record<string, unknown> {
  return typeof raw === 'object' && raw !== null && !Array.isArray(raw);
}

/** Every field with its dotted key path, in schema order. */
export function fieldsOf(node: Section<Members>, prefix: string[] = []): Array<{ key: string[]; field: Field<unknown> }> {
  const out: Array<{ key: string[]; field: Field<unknown> }> = [];
  for (const [k, m] of Object.entries(node.members)) {
    if (m.kind === 'field') out.push({ key: [...prefix, k], field: m });
    else out.push(...fieldsOf(m, [...prefix, k]));
  }
  return out;
}

/** The node at a dotted key ("train.lr"), or null. */
export function nodeAt(root: Section<Members>, key: string): SchemaNode | null {
  let node: SchemaNode = root;
  for (const part of key.split('.')) {
    if (node.kind !== 'section' || !Object.prototype.hasOwnProperty.call(node.members, part)) return null;
    node = node.members[part]!;
  }
  return node;
}

function unknownKeyProblem(root: Section<Members>, here: Section<Members>, prefix: KeyPath, key: string): string {
  const siblings = Object.keys(here.members);
  const near = closestMatch(key, siblings);
  if (near !== null) return `is not a known key (did you mean ${formatKeyPath([...prefix, near])}?)`;
  if (key.includes('.') && nodeAt(root, key) !== null) {
    const parts = key.split('.');
    return `is not a known key: write it nested, as "${parts.slice(0, -1).join(': { ')}: { ${parts[parts.length - 1]}: ... }${' }'.repeat(parts.length - 2)}"`;
  }
  // The same name, or a near one, in another section is the likeliest intent ("lr" at the top level).
  const leaves = fieldsOf(root).map((f) => f.key);
  const exact = leaves.find((k) => k[k.length - 1] === key);
  if (exact) return `is not a known key here (did you mean ${exact.join('.')}?)`;
  const nearName = closestMatch(key, leaves.map((k) => k[k.length - 1]!));
  const near2 = nearName === null ? undefined : leaves.find((k) => k[k.length - 1] === nearName);
  if (near2) return `is not a known key here (did you mean ${near2.join('.')}?)`;
  return `is not a known key; the keys ${prefix.length === 0 ? 'at the top level' : `in ${formatKeyPath(prefix)}`} are: ${siblings.join(', ')}`;
}

/**
 * Validate a raw YAML value against a section: fill defaults, convert values, and collect every
 * problem (unknown keys with suggestions, wrong types, out-of-range values, missing paths).
 * The returned value is complete only when `issues` is empty.
 */
export function validateSection<M extends Members>(root: Section<M>, raw: unknown, ctx: CheckContext): { value: Infer<Section<M>>; issues: Issue[] } {
  const issues: Issue[] = [];
  const walk = (node: Section<Members>, rawNode: unknown, prefix: KeyPath, reportMissing: boolean): Record<string, unknown> => {
    let obj: Record<string, unknown> = {};
    let shapeOk = reportMissing;
    if (rawNode === undefined || rawNode === null) {
      obj = {};
    } else if (isMapping(rawNode)) {
      obj = rawNode;
    } else {
      shapeOk = false;
      issues.push({
        path: prefix,
        problem: `must be a mapping with the keys ${Object.keys(node.members).join(', ')}, got ${describeValue(rawNode)}`,
      });
    }
    for (const key of Object.keys(obj)) {
      if (!Object.prototype.hasOwnProperty.call(node.members, key)) {
        issues.push({ path: [...prefix, key], problem: unknownKeyProblem(root as Section<Members>, node, prefix, key) });
      }
    }
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(node.members)) {
      const at = [...prefix, key];
      const rawValue = obj[key];
      if (member.kind === 'section') {
        out[key] = walk(member, rawValue, at, shapeOk);
        continue;
      }
      if (rawValue === undefined) {
        const d = member.default;
        if (d === REQUIRED) {
          // (a section that is not even a mapping has been reported already)
          if (shapeOk) issues.push({ path: at, problem: `is required (${member.doc})` });
          out[key] = undefined;
        } else if (d instanceof Computed) {
          out[key] = d.compute(ctx);
        } else {
          out[key] = structuredClone(d);
        }
        continue;
      }
      const r = member.type.parse(rawValue, ctx);
      if (r.ok) {
        out[key] = r.value;
      } else {
        issues.push({ path: [...at, ...(r.at ?? [])], problem: r.problem });
        out[key] = undefined;
      }
    }
    return out;
  };
  const value = walk(root as Section<Members>, raw, [], true) as Infer<Section<M>>;
  return { value, issues };
}

/** A validated value as plain data in schema order, for YAML output (paths relative to `relativeTo`). */
export function toPlain(root: Section<Members>, value: unknown, relativeTo: string | null): Record<string, unknown> {
  const walk = (node: Section<Members>, v: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(node.members)) {
      const x = v[key];
      if (member.kind === 'section') out[key] = walk(member, (x ?? {}) as Record<string, unknown>);
      else out[key] = member.type.toPlain && x !== null && x !== undefined ? member.type.toPlain(x, relativeTo) : x;
    }
    return out;
  };
  return walk(root, value as Record<string, unknown>);
}

/** Dotted keys of the fields whose values differ between two validated values. */
export function differingKeys(root: Section<Members>, a: unknown, b: unknown): string[] {
  const get = (obj: unknown, key: string[]) => key.reduce<unknown>((o, k) => (isMapping(o) ? o[k] : undefined), obj);
  return fieldsOf(root)
    .filter(({ key }) => JSON.stringify(get(a, key)) !== JSON.stringify(get(b, key)))
    .map(({ key }) => key.join('.'));
}

// ---------------------------------------------------------------------------------------------
// Markdown reference

function showDefault(d: unknown): string {
  if (d === REQUIRED) return '*required*';
  if (d instanceof Computed) return `\`${d.shown}\``;
  return `\`${inlineYaml(d)}\``;
}

/** A value in YAML flow style, as the reference shows defaults. */
export function inlineYaml(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(inlineYaml).join(', ')}]`;
  if (typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${inlineYaml(x)}`).join(', ')} }`;
  return String(v);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The whole schema as one Markdown table: key, type, default, description. */
export function renderMarkdownTable(root: Section<Members>): string {
  const rows: string[] = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  const walk = (node: Section<Members>, prefix: string[]) => {
    for (const [key, member] of Object.entries(node.members)) {
      const full = [...prefix, key].join('.');
      if (member.kind === 'section') {
        rows.push(`| **\`${full}\`** | section | | ${cell(member.doc)} |`);
        walk(member, [...prefix, key]);
      } else {
        rows.push(`| \`${full}\` | ${cell(member.type.label)} | ${cell(showDefault(member.default))} | ${cell(member.doc)} |`);
      }
    }
  };
  walk(root, []);
  return rows.join('\n') + '\n';
}
