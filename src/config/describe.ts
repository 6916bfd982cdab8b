// Words for schema nodes and values, derived from the zod defs: the reference table's short types
// ("int >= 1 or list of int >= 1"), what an error message says is expected ("an integer >= 1"),
// and how a value is shown ("got \"fast\"", defaults as YAML flow style).
import { z } from 'zod';
import { Schema, configMeta, defaultOf, descriptionOf, pathKindOf, sectionShape, unwrap } from './walk';

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

/** A value in YAML flow style, as the reference shows defaults and resume checks show changes. */
export function inlineYaml(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return `[${v.map(inlineYaml).join(', ')}]`;
  if (typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${inlineYaml(x)}`).join(', ')} }`;
  return String(v);
}

// ---------------------------------------------------------------------------------------------
// Numbers: the bounds of .min/.gt/.max/.lt checks and whether .int() is among them

interface NumberFacts {
  int: boolean;
  /** " in [0, 1)", " > 0", ... or "" */
  bounds: string;
}

function numberFacts(s: z.ZodNumber): NumberFacts {
  let lo: { v: number; incl: boolean } | null = null;
  let hi: { v: number; incl: boolean } | null = null;
  let int = false;
  for (const check of s.def.checks ?? []) {
    const d = check._zod.def as { check: string; value?: number; inclusive?: boolean; format?: string };
    if (d.check === 'greater_than') lo = { v: d.value!, incl: !!d.inclusive };
    else if (d.check === 'less_than') hi = { v: d.value!, incl: !!d.inclusive };
    // .int() is a "safeint" format check; its ±2^53 range is not worth showing
    else if (d.check === 'number_format' && d.format?.includes('int')) int = true;
  }
  let bounds = '';
  if (lo && hi) bounds = ` in ${lo.incl ? '[' : '('}${lo.v}, ${hi.v}${hi.incl ? ']' : ')'}`;
  else if (lo) bounds = ` ${lo.incl ? '>=' : '>'} ${lo.v}`;
  else if (hi) bounds = ` ${hi.incl ? '<=' : '<'} ${hi.v}`;
  return { int, bounds };
}

/** The allowed values of an enum or literal node, else null. */
export function enumValues(s: Schema): string[] | null {
  if (s instanceof z.ZodEnum) return s.options.map(String);
  if (s instanceof z.ZodLiteral) return s.def.values.map(String);
  return null;
}

function pathWhat(kind: 'file' | 'dir' | 'any'): string {
  return kind === 'file' ? 'file' : kind === 'dir' ? 'directory' : 'file or directory';
}

function minLength(s: z.ZodString): number {
  let min = 0;
  for (const check of s.def.checks ?? []) {
    const d = check._zod.def as { check: string; minimum?: number };
    if (d.check === 'min_length') min = Math.max(min, d.minimum!);
  }
  return min;
}

// ---------------------------------------------------------------------------------------------
// Type words

/** The short type the reference table shows, e.g. "number > 0", "list of string or null". */
export function label(s: Schema): string {
  s = unwrap(s);
  const meta = configMeta.get(s);
  if (meta?.label !== undefined) return meta.label;
  const kind = pathKindOf(s);
  if (kind !== null) return kind === 'no' ? 'path' : `path (existing ${pathWhat(kind)})`;
  const values = enumValues(s);
  if (values) return values.join(' | ');
  if (s instanceof z.ZodNumber) {
    const f = numberFacts(s);
    return `${f.int ? 'int' : 'number'}${f.bounds}`;
  }
  if (s instanceof z.ZodString) return 'string';
  if (s instanceof z.ZodBoolean) return 'bool';
  if (s instanceof z.ZodArray) return `list of ${label(s.def.element as Schema)}`;
  if (s instanceof z.ZodNullable) return `${label(s.def.innerType as Schema)} or null`;
  if (s instanceof z.ZodUnion) return (s.def.options as Schema[]).map(label).join(' or ');
  if (s instanceof z.ZodTuple) return `[${(s.def.items as Schema[]).map(label).join(', ')}]`;
  if (s instanceof z.ZodObject) return 'mapping';
  return s.def.type;
}

/** What an error message says a value must be, e.g. "a number > 0", "one of step, cosine, constant". */
export function expected(s: Schema): string {
  s = unwrap(s);
  const meta = configMeta.get(s);
  if (meta?.expected !== undefined) return meta.expected;
  const kind = pathKindOf(s);
  if (kind !== null) return kind === 'no' ? 'a path' : `a path to an existing ${pathWhat(kind)}`;
  const values = enumValues(s);
  if (values) return values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.join(', ')}`;
  if (s instanceof z.ZodNumber) {
    const f = numberFacts(s);
    return `${f.int ? 'an integer' : 'a number'}${f.bounds}`;
  }
  if (s instanceof z.ZodString) return minLength(s) > 0 ? 'a non-empty string' : 'a string';
  if (s instanceof z.ZodBoolean) return 'true or false';
  if (s instanceof z.ZodArray) return `a list of ${plural(s.def.element as Schema)}`;
  if (s instanceof z.ZodNullable) return `${expected(s.def.innerType as Schema)} or null`;
  if (s instanceof z.ZodUnion) return (s.def.options as Schema[]).map(expected).join(' or ');
  if (s instanceof z.ZodTuple) return `a list of ${s.def.items.length} items`;
  const shape = sectionShape(s);
  if (shape) return `a mapping with the keys ${Object.keys(shape).join(', ')}`;
  return label(s);
}

/** The plural used inside "a list of ...", e.g. "integers >= 1". */
function plural(s: Schema): string {
  s = unwrap(s);
  const kind = pathKindOf(s);
  if (kind !== null) return kind === 'no' ? 'paths' : `paths to existing ${pathWhat(kind)}s`;
  if (s instanceof z.ZodNumber) {
    const f = numberFacts(s);
    return `${f.int ? 'integers' : 'numbers'}${f.bounds}`;
  }
  if (s instanceof z.ZodString) return minLength(s) > 0 ? 'non-empty strings' : 'strings';
  if (s instanceof z.ZodBoolean) return 'booleans';
  return label(s);
}

// ---------------------------------------------------------------------------------------------
// Markdown reference

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function shownDefault(field: Schema): string {
  const d = defaultOf(field);
  if (d.kind === 'required') return '*required*';
  return `\`${d.kind === 'computed' ? d.shown : inlineYaml(d.value)}\``;
}

/** A config schema as one Markdown table (key, type, default, description), sections in bold. */
export function renderMarkdownTable(root: Schema): string {
  const rows: string[] = ['| Key | Type | Default | Description |', '| --- | --- | --- | --- |'];
  const walk = (node: Schema, prefix: string[]) => {
    for (const [key, s] of Object.entries(sectionShape(node) ?? {})) {
      const full = [...prefix, key].join('.');
      if (sectionShape(s)) {
        rows.push(`| **\`${full}\`** | section | | ${cell(descriptionOf(s))} |`);
        walk(s, [...prefix, key]);
      } else {
        rows.push(`| \`${full}\` | ${cell(label(s))} | ${cell(shownDefault(s))} | ${cell(descriptionOf(s))} |`);
      }
    }
  };
  walk(root, []);
  return rows.join('\n') + '\n';
}

