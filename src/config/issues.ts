// From zod's issue list to nasgrow's wording. zod says what failed and where (code, path, the
// union members' own issues); the wording comes from the schema node at that path and the raw YAML
// value there: "must be a number > 0, got \"fast\"", "is required (<the key's description>)",
// "is not a known key (did you mean train.lr?)". load.ts adds the file, the line and the key path.
import { z } from 'zod';
import { describeValue, enumValues, expected } from './describe';
import { closestMatch } from './suggest';
import { Schema, descriptionOf, fieldsOf, memberFor, nodeAt, sectionShape, unwrap } from './walk';
import { plural } from '../util/plural';

export type KeyPath = Array<string | number>;

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

/**
 * Our problems for the issues zod reported while parsing `raw` with `root`. One problem per config
 * key (the first zod reports: a bad list item before the list's own checks), as a key has one value
 * to fix; unknown keys each get their own.
 */
export function issuesFromZod(root: Schema, raw: unknown, zodIssues: readonly z.core.$ZodIssue[]): Issue[] {
  const out: Issue[] = [];
  for (const iss of zodIssues) explain(root, raw, iss, [], out);
  const seen = new Set<string>();
  return out.filter((i) => {
    // (as JSON, not dotted: an unknown top-level key "train.lr" is not the field train.lr)
    const key = JSON.stringify(i.path.filter((k) => typeof k === 'string'));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function explain(root: Schema, raw: unknown, iss: z.core.$ZodIssue, prefix: KeyPath, out: Issue[]): void {
  const at: KeyPath = [...prefix, ...iss.path.filter((k): k is string | number => typeof k !== 'symbol')];
  if (iss.code === 'unrecognized_keys') {
    for (const key of iss.keys) out.push({ path: [...at, key], problem: unknownKeyProblem(root, at, key) });
    return;
  }
  // schema.ts words its own checks (paths that must exist, increasing lists, ...)
  if (iss.code === 'custom') {
    out.push({ path: at, problem: iss.message });
    return;
  }
  let { schema, value, path, description, parent, parentValue } = locate(root, raw, at);
  if (value === undefined && iss.code === 'invalid_type') {
    out.push({ path, problem: `is required (${description})` });
    return;
  }
  // a tuple is a fixed structure ([[means], [stds]]): a member of the wrong type means the whole
  // value has the wrong structure, and the tuple's wording says what the structure should be
  if (iss.code === 'invalid_type' && parent instanceof z.ZodTuple) {
    out.push({ path: path.slice(0, -1), problem: mismatch(parent, parentValue, iss) });
    return;
  }
  for (;;) {
    schema = unwrap(schema);
    if (schema instanceof z.ZodNullable && value !== null) {
      schema = schema.def.innerType as Schema;
    } else if (schema instanceof z.ZodUnion) {
      // zod passes on the issues of the one member that got past its type check, or else reports
      // invalid_union with every member's issues; either way the member that takes the value's
      // shape explains a list, and a scalar is explained by naming every member
      const k = memberFor(schema, value);
      if (k < 0) break;
      if (iss.code === 'invalid_union') {
        const memberIssues = iss.errors[k] ?? [];
        if (memberIssues.length === 0) break; // (nothing more specific to say: name every member)
        for (const sub of memberIssues) explain(root, raw, sub, path, out);
        return;
      }
      schema = schema.def.options[k] as Schema;
    } else {
      break;
    }
  }
  out.push({ path, problem: mismatch(schema, value, iss) });
}

function mismatch(s: Schema, value: unknown, iss: z.core.$ZodIssue): string {
  if ((iss.code === 'too_small' || iss.code === 'too_big') && iss.origin === 'array' && s instanceof z.ZodArray) {
    const n = Number(iss.code === 'too_small' ? iss.minimum : iss.maximum);
    return `must have ${iss.code === 'too_small' ? 'at least' : 'at most'} ${plural(n, 'item')}, got ${describeValue(value)}`;
  }
  const values = enumValues(s);
  const hint = values && typeof value === 'string' ? closestMatch(value, values) : null;
  return `must be ${expected(s)}, got ${describeValue(value)}${hint ? ` (did you mean ${hint}?)` : ''}`;
}

interface Location {
  schema: Schema;
  value: unknown;
  /** the key path, shorter than asked when a union on the way takes no member for the value */
  path: KeyPath;
  /** of the innermost key on the path, for "is required (...)" */
  description: string;
  /** the node (wrappers and unions resolved) holding the last key of the path, and its value */
  parent?: Schema;
  parentValue?: unknown;
}

/**
 * The schema node and raw value at a key path, through sections, list items and the union member
 * that takes the value. Stops early (with a shorter path) at a union no member of which takes the
 * value, which then explains the problem.
 */
function locate(root: Schema, raw: unknown, at: KeyPath): Location {
  let schema = root;
  let value = raw;
  let description = descriptionOf(root);
  let parent: Schema | undefined;
  let parentValue: unknown;
  for (let i = 0; i < at.length; i++) {
    const s = through(schema, value);
    const k = at[i]!;
    const shape = sectionShape(s);
    if (shape && typeof k === 'string' && Object.prototype.hasOwnProperty.call(shape, k)) {
      schema = shape[k]!;
      description = descriptionOf(schema);
    } else if (s instanceof z.ZodArray && typeof k === 'number') {
      schema = s.def.element as Schema;
    } else if (s instanceof z.ZodTuple && typeof k === 'number' && k < s.def.items.length) {
      schema = s.def.items[k] as Schema;
    } else {
      return { schema: s, value, path: at.slice(0, i), description };
    }
    parent = s;
    parentValue = value;
    value = typeof value === 'object' && value !== null ? (value as Record<string | number, unknown>)[k] : undefined;
  }
  return { schema, value, path: at, description, parent, parentValue };
}

/** The node that parses `value`: wrappers removed, a non-null value's nullable and a union resolved. */
function through(s: Schema, value: unknown): Schema {
  for (;;) {
    s = unwrap(s);
    if (s instanceof z.ZodNullable && value !== null) {
      s = s.def.innerType as Schema;
    } else if (s instanceof z.ZodUnion) {
      const k = memberFor(s, value);
      if (k < 0) return s;
      s = s.def.options[k] as Schema;
    } else {
      return s;
    }
  }
}

/**
 * Why a key is unknown, with the likeliest intent: a near sibling, the dotted form of a nested
 * key, the same or a near key in another section, or else the keys that are allowed here.
 */
function unknownKeyProblem(root: Schema, prefix: KeyPath, key: string): string {
  const here = prefix.length === 0 ? root : nodeAt(root, prefix.join('.'));
  const siblings = Object.keys((here && sectionShape(here)) ?? {});
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
