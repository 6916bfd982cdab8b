// Loading a YAML config: parse (syntax errors name the file and line), apply command-line
// overrides, validate against the zod schema (which fills defaults and resolves paths), then
// cross-key checks. Every problem is collected and reported at once, in file order, before any
// work starts.
import * as fs from 'fs';
import * as path from 'path';
import { Document, LineCounter, Node as YamlNode, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { ConfigError, ConfigProblem } from './errors';
import { Issue, KeyPath, formatKeyPath, issuesFromZod } from './issues';
import { SEED_WIDTH } from '../models/arch';
import { CheckContext, TrainConfig, checkConsistency, configSchema, configStructure } from './schema';
import { differingKeys, nodeAt, sectionShape, toPlain } from './walk';

/** A value set on the command line, e.g. { key: 'train.epochs', value: 5, origin: '--epochs' }. */
export interface Override {
  key: string;
  value: unknown;
  /** named as the source of a problem with this value */
  origin: string;
}

export interface LoadOptions {
  /** command-line values that replace the file's (validated like them) */
  overrides?: Override[];
  /** check that input paths exist (default true; off when re-reading a saved run config) */
  checkPaths?: boolean;
  /** check data.path with them (default true; off for `nasgrow validate --no-data`) */
  checkDataPath?: boolean;
  /** working directory for the default output folder (default process.cwd()) */
  cwd?: string;
  /** folder that relative paths are resolved against (default: the config file's folder) */
  baseDir?: string;
}

/** The config's name: its file name without .yaml/.yml ("configs/quickstart.yaml" -> "quickstart"). */
export function configName(sourceName: string): string {
  return path.basename(sourceName).replace(/\.ya?ml$/i, '');
}

/**
 * Read and validate a config file. Throws ConfigError (one problem per line: the file, key, value
 * and expectation) when the file cannot be read, is not YAML, or is not a valid config.
 */
export function loadConfig(file: string, options: LoadOptions = {}): TrainConfig {
  return parseConfig(readYamlText(file, 'config file'), file, options);
}

/**
 * The text of a YAML file nasgrow reads (`what`: "config file", "sweep file").
 * @throws ConfigError naming the file: not found (with the path looked for), a folder, unreadable.
 */
export function readYamlText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `${what} not found (looked for ${path.resolve(file)})` : code === 'EISDIR' ? `is a folder, not a ${what}` : (err as Error).message;
    throw new ConfigError([{ source: file, key: '', problem: why }]);
  }
}

/**
 * Validate config text; `sourceName` is the file name used in messages and for relative paths.
 * Throws ConfigError listing every problem, and a plain Error for an override of an unknown key
 * (a bug in the caller, not in the config).
 */
export function parseConfig(text: string, sourceName: string, options: LoadOptions = {}): TrainConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.slice(0, 5).map((e) => ({ source: sourceName, key: '', problem: yamlSyntaxProblem(e.message, e.linePos?.[0]) })));
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError([{ source: sourceName, key: '', problem: `invalid YAML: ${(err as Error).message}` }]);
  }

  const origins = new Map<string, string>();
  if (options.overrides && options.overrides.length > 0) {
    if (raw === null || raw === undefined) raw = {};
    if (typeof raw === 'object' && !Array.isArray(raw)) {
      for (const o of options.overrides) {
        const node = nodeAt(configStructure, o.key);
        if (node === null || sectionShape(node) !== null) throw new Error(`internal: override of unknown config key ${o.key}`);
        setIn(raw as Record<string, unknown>, o.key.split('.'), o.value);
        origins.set(o.key, o.origin);
      }
    }
  }

  const checkPaths = options.checkPaths ?? true;
  const ctx: CheckContext = {
    baseDir: options.baseDir ?? path.dirname(path.resolve(sourceName)),
    checkPaths,
    checkDataPath: checkPaths && (options.checkDataPath ?? true),
    configName: configName(sourceName),
    cwd: options.cwd ?? process.cwd(),
  };
  const fail = (issues: Issue[]) => {
    const located = issues.map((i) => toProblem(i, sourceName, doc, lineCounter, origins));
    // in file order (by offset, so two problems on one line keep their columns' order); problems
    // without a place in the file (command-line values, missing keys) after those
    located.sort((a, b) => (a.offset ?? Infinity) - (b.offset ?? Infinity));
    return new ConfigError(located.map((l) => l.problem));
  };
  const schema = configSchema(ctx);
  const result = schema.safeParse(raw);
  if (!result.success) throw fail(issuesFromZod(schema, raw, result.error.issues));
  const issues = checkConsistency(result.data, ctx);
  if (issues.length > 0) throw fail(issues);
  // model.width null means the family's seed width: resolved here, so a config that leaves it out and
  // one that writes the seed width are the same config (config.yaml, resume checks)
  const cfg = result.data;
  if (cfg.model.width === null) cfg.model.width = SEED_WIDTH[cfg.model.family];
  return cfg;
}

function setIn(obj: Record<string, unknown>, keys: string[], value: unknown): void {
  let cur = obj;
  for (const k of keys.slice(0, -1)) {
    const next = cur[k];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]!] = value;
}

function yamlSyntaxProblem(message: string, pos: { line: number; col: number } | undefined): string {
  // yaml's messages read "<what> at line L, column C:\n\n<source excerpt>\n^"
  const [head, ...excerpt] = message.split('\n');
  const what = head!.replace(/ at line \d+, column \d+:?$/, '');
  const where = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
  const context = excerpt.filter((l) => l.trim() !== '').map((l) => `    ${l}`);
  return [`invalid YAML at ${where}: ${what}`, ...context].join('\n');
}

function toProblem(issue: Issue, source: string, doc: Document, lc: LineCounter, origins: Map<string, string>): { problem: ConfigProblem; offset?: number } {
  const key = issue.path.length === 0 ? 'the config' : formatKeyPath(issue.path);
  // a problem with an overridden value (or inside it) is the flag's; compared key by key, as an
  // unknown top-level key spelt "data.path" in the file is not the value --data set
  const keys = issue.path.filter((k) => typeof k === 'string');
  for (const [k, origin] of origins) {
    const parts = k.split('.');
    if (parts.every((p, i) => keys[i] === p)) return { problem: { source: origin, key, problem: issue.problem } };
  }
  const offset = offsetOf(doc, issue.path);
  if (offset === undefined) return { problem: { source, key, problem: issue.problem } };
  return { problem: { source, key, problem: issue.problem, line: lc.linePos(offset).line }, offset };
}

/** Offset in the file of the value (or of the key, for an empty value) at a key path, if it is in the file. */
function offsetOf(doc: Document, keyPath: KeyPath): number | undefined {
  let node: unknown = doc.contents;
  let offset: number | undefined = (node as YamlNode | null)?.range?.[0];
  for (const k of keyPath) {
    if (typeof k === 'string' && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === k);
      if (!pair) return undefined;
      const keyStart = (pair.key as YamlNode).range?.[0];
      node = pair.value;
      offset = (node as YamlNode | null)?.range?.[0] ?? keyStart;
    } else if (typeof k === 'number' && isSeq(node)) {
      node = node.items[k];
      if (node === undefined) return undefined;
      offset = (node as YamlNode | null)?.range?.[0] ?? offset;
    } else {
      return undefined;
    }
  }
  return offset;
}

/**
 * The config as YAML, keys in schema order. With `relativeTo`, paths are written relative to that
 * folder (so a copy in a run folder stays valid when the folder moves); otherwise they are absolute.
 */
export function renderConfigYaml(cfg: TrainConfig, options: { relativeTo?: string | null; header?: string[] } = {}): string {
  const plain = toPlain(configStructure, cfg, options.relativeTo ?? null);
  const doc = new Document(plain);
  // short lists of scalars read best inline: [300, 450]
  const flowify = (n: unknown): void => {
    if (isMap(n)) n.items.forEach((p) => flowify(p.value));
    else if (isSeq(n)) {
      n.flow = true;
      n.items.forEach(flowify);
    }
  };
  flowify(doc.contents);
  if (options.header && options.header.length > 0) doc.commentBefore = options.header.map((l) => ` ${l}`).join('\n');
  return doc.toString({ lineWidth: 0 });
}

/** A config's value at a dotted key (`grow.lambda_p`); undefined for a key it does not have. */
export function configValue(cfg: TrainConfig, key: string): unknown {
  return key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], cfg);
}

/** The keys whose values differ between two configs, with both values (for resume checks). */
export function diffConfigs(before: TrainConfig, after: TrainConfig): Array<{ key: string; before: unknown; after: unknown }> {
  return differingKeys(configStructure, before, after).map((key) => ({ key, before: configValue(before, key), after: configValue(after, key) }));
}
