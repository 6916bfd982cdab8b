// The sweep file of `nasgrow sweep` (src/cli/sweep/): a base config plus a grid of values per config
// key; every combination of the grid's values is one point, a run of its own with the base config and
// those values (README "Sweeps"). This module reads and checks the file and expands the grid into
// points with deterministic names; it runs nothing. Each point's config is then checked as a whole by
// the same loader as `nasgrow run`'s (loadConfig with the point's values as overrides), so a bad value
// is reported with the sweep file, the key and the value.
//
//   config: ../configs/quickstart.yaml     # the base config, relative to this file
//   command: run                           # run (grow and retrain; default) or train
//   set: { grow.uniform_baseline: true }   # keys set for every point
//   grid:                                  # one point per combination; the first key varies slowest
//     seed: [0, 1, 2, 3]
//     grow.lambda_p: [3.0e-7, 1.0e-6]
//   exclude:                               # combinations left out (each names grid values)
//     - { seed: 3, grow.lambda_p: 1.0e-6 }
//   out: ../runs/quickstart-seeds          # the sweep folder (default runs/<sweep file name>)
//   slurm: { partition: debug, time: "01:00:00", cpus_per_task: 2, mem: 4G, max_running: 4 }
//
// String values in `set` may name a grid key's value of the point as ${key} (e.g. a baseline's
// grow.reference: ../runs/vgg-gn/seed-${seed}) and the sweep folder as ${sweep}. Relative paths in
// path-valued keys are relative to the sweep file, as the base config's are to the base config.
import * as fs from 'fs';
import * as path from 'path';
import { Document, isMap, LineCounter, parseDocument } from 'yaml';
import { ConfigError, ConfigProblem } from './errors';
import { configName, readYamlText } from './load';
import { configStructure } from './schema';
import { closestMatch } from './suggest';
import { fieldsOf, isPathField, nodeAt, sectionShape } from './walk';

/** The SLURM settings of a sweep (the job array's sbatch options). */
export interface SlurmSettings {
  /** --partition; null: the cluster's default */
  partition: string | null;
  /** --time, SLURM's format (minutes, "HH:MM:SS", "D-HH:MM:SS"); null: the partition's default */
  time: string | null;
  /** --cpus-per-task, also each point's runtime.threads */
  cpus_per_task: number;
  /** --mem (e.g. "4G"); null: the cluster's default */
  mem: string | null;
  /** the array's throttle, --array=...%M; null: no throttle */
  max_running: number | null;
  /** further sbatch options, one per item (e.g. "--qos=low", "--account=abc") */
  sbatch_args: string[];
  /** shell lines run before the point in the job script (e.g. "module load nodejs/20") */
  setup: string[];
}

/** A sweep file, read and checked. Paths absolute. */
export interface SweepFile {
  /** the file as the user named it (what messages name) */
  source: string;
  /** the base config file (absolute) */
  config: string;
  command: 'run' | 'train';
  /** the sweep folder (absolute) */
  out: string;
  /** the keys set for every point, values as written (templates not yet filled) */
  set: Array<{ key: string; value: unknown; line?: number }>;
  /** the grid: keys in file order with their values */
  grid: Array<{ key: string; values: unknown[]; line?: number }>;
  /** combinations of grid values left out: a point is left out when it has every value of one entry */
  exclude: Array<{ values: Record<string, unknown>; line?: number }>;
  slurm: SlurmSettings;
}

/** One point of a sweep: its folder name and the config values it sets (dotted key -> value). */
export interface SweepPoint {
  name: string;
  /** every value the point sets, `set` and grid, templates filled, paths absolute */
  values: Record<string, unknown>;
  /** for messages: where each value came from ("sweep.yaml grid.seed[2]") */
  origins: Record<string, string>;
}

const TOP_KEYS = ['config', 'command', 'set', 'grid', 'exclude', 'out', 'slurm'] as const;
const SLURM_KEYS = ['partition', 'time', 'cpus_per_task', 'mem', 'max_running', 'sbatch_args', 'setup'] as const;
/** Keys a sweep may not set: the sweep owns where each point's run folder is. */
const OWNED_BY_SWEEP = ['output.dir'];

/** Every field key of the config ("train.lr", ...), for checking and suggesting sweep keys. */
export function configKeys(): string[] {
  return fieldsOf(configStructure).map((f) => f.key.join('.'));
}

/**
 * Read and check a sweep file: its own keys (not the points' configs, see sweepPoints and loadConfig).
 * `cwd`: where the default sweep folder runs/<sweep name> is (default process.cwd()).
 * @throws ConfigError listing every problem, each with the file, key, value and line.
 */
export function loadSweepFile(file: string, cwd: string = process.cwd()): SweepFile {
  const text = readYamlText(file, 'sweep file');
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.slice(0, 5).map((e) => ({ source: file, key: '', problem: `invalid YAML: ${e.message.split('\n')[0]}`, line: e.linePos?.[0]?.line })));
  }
  const raw = doc.toJS() as unknown;
  const problems: ConfigProblem[] = [];
  const lineOf = (keys: (string | number)[]): number | undefined => {
    const node = doc.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lc.linePos(node.range[0]).line : undefined;
  };
  const bad = (keys: (string | number)[], problem: string) => problems.push({ source: file, key: keys.join('.'), problem, line: lineOf(keys) });
  const dir = path.dirname(path.resolve(file));

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([{ source: file, key: '', problem: 'must be a mapping with the keys config and grid (and optionally command, set, exclude, out, slurm): see README "Sweeps"' }]);
  }
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (!(TOP_KEYS as readonly string[]).includes(k)) {
      const near = closestMatch(k, TOP_KEYS);
      bad([k], `is not a key of a sweep file${near ? ` (did you mean ${near}?)` : ''}: its keys are ${TOP_KEYS.join(', ')}`);
    }
  }

  let config = '';
  if (typeof top.config !== 'string' || top.config === '') bad(['config'], `must name the base config file (relative to ${file}), got ${JSON.stringify(top.config) ?? 'nothing'}`);
  else {
    config = path.resolve(dir, top.config);
    if (!fs.existsSync(config)) bad(['config'], `names ${config}, which does not exist`);
  }

  const command = top.command ?? 'run';
  if (command !== 'run' && command !== 'train') bad(['command'], `must be run (grow, then retrain) or train, got ${JSON.stringify(command)}`);

  const keys = configKeys();
  const checkKey = (section: string, k: string): boolean => {
    const node = nodeAt(configStructure, k);
    if (node === null) {
      const near = closestMatch(k, keys);
      bad([section, k], `is not a config key${near ? ` (did you mean ${near}?)` : ''}: write keys in full with dots, as \`nasgrow config-reference\` lists them (e.g. grow.lambda_p)`);
      return false;
    }
    if (sectionShape(node) !== null) {
      bad([section, k], `is a section of the config, not a key: name its keys (${Object.keys(sectionShape(node)!).map((c) => `${k}.${c}`).join(', ')})`);
      return false;
    }
    if (OWNED_BY_SWEEP.includes(k)) {
      bad([section, k], 'cannot be set by a sweep: each point runs in its own folder under the sweep folder (the sweep file\'s out)');
      return false;
    }
    return true;
  };

  const set: SweepFile['set'] = [];
  if (top.set !== undefined && top.set !== null) {
    if (typeof top.set !== 'object' || Array.isArray(top.set)) bad(['set'], 'must be a mapping of config keys to values, e.g. { grow.uniform_baseline: true }');
    else for (const [k, v] of Object.entries(top.set as Record<string, unknown>)) if (checkKey('set', k)) set.push({ key: k, value: v, line: lineOf(['set', k]) });
  }

  const grid: SweepFile['grid'] = [];
  if (typeof top.grid !== 'object' || top.grid === null || Array.isArray(top.grid) || Object.keys(top.grid).length === 0) {
    bad(['grid'], 'must be a mapping of config keys to lists of values, e.g. { seed: [0, 1, 2] }');
  } else {
    for (const [k, v] of Object.entries(top.grid as Record<string, unknown>)) {
      if (!checkKey('grid', k)) continue;
      if (set.some((s) => s.key === k)) bad(['grid', k], 'is also under set: a key is either the same for every point (set) or varies (grid)');
      else if (!Array.isArray(v) || v.length === 0) bad(['grid', k], `must be a non-empty list of values, e.g. [${k === 'seed' ? '0, 1, 2' : '...'}], got ${JSON.stringify(v)}`);
      else {
        const seen = new Set<string>();
        v.forEach((x, i) => {
          const t = JSON.stringify(x);
          if (seen.has(t)) bad(['grid', k, i], `repeats the value ${t}: each value makes one point`);
          seen.add(t);
        });
        grid.push({ key: k, values: v, line: lineOf(['grid', k]) });
      }
    }
  }

  // exclude: grid values as written there (compared as JSON), so that an entry always names points
  const exclude: SweepFile['exclude'] = [];
  if (top.exclude !== undefined && top.exclude !== null) {
    if (!Array.isArray(top.exclude)) bad(['exclude'], 'must be a list of mappings from grid keys to one of their values, e.g. [{ seed: 3, grow.lambda_p: 1.0e-6 }]');
    else {
      top.exclude.forEach((e, i) => {
        if (typeof e !== 'object' || e === null || Array.isArray(e) || Object.keys(e).length === 0) {
          bad(['exclude', i], `must be a mapping from grid keys to one of their values, e.g. { seed: 3 }, got ${JSON.stringify(e)}`);
          return;
        }
        let ok = true;
        for (const [k, v] of Object.entries(e as Record<string, unknown>)) {
          const g = grid.find((x) => x.key === k);
          // a key the grid has but refused is reported there already
          if (!g && typeof top.grid === 'object' && top.grid !== null && k in top.grid) ok = false;
          else if (!g) {
            const near = closestMatch(k, grid.map((x) => x.key));
            bad(['exclude', i, k], `is not a grid key${near ? ` (did you mean ${near}?)` : ''}: an entry leaves out combinations of grid values (${grid.map((x) => x.key).join(', ')})`);
            ok = false;
          } else if (!g.values.some((x) => JSON.stringify(x) === JSON.stringify(v))) {
            const hint = Array.isArray(v) && !g.values.some(Array.isArray)
              ? ': an entry takes one value per key; write one entry per value'
              : typeof v === 'string' && g.values.some((x) => JSON.stringify(x) === v)
                ? `: the grid's value is ${v}, not the string ${JSON.stringify(v)}; drop the quotes`
                : typeof v === 'string' && /^(yes|no|on|off)$/i.test(v) && g.values.some((x) => typeof x === 'boolean')
                  ? ': write true or false'
                  : ': it would leave out nothing';
            bad(['exclude', i, k], `is ${JSON.stringify(v)}, not one of grid.${k}'s values (${g.values.map((x) => JSON.stringify(x)).join(', ')})${hint}`);
            ok = false;
          }
        }
        if (ok) exclude.push({ values: e as Record<string, unknown>, line: lineOf(['exclude', i]) });
      });
    }
  }

  let out = path.resolve(cwd, 'runs', configName(file));
  if (top.out !== undefined && top.out !== null) {
    if (typeof top.out !== 'string' || top.out === '') bad(['out'], `must be a folder path (relative to ${file}), got ${JSON.stringify(top.out)}`);
    else out = path.resolve(dir, top.out);
  }

  const slurm = readSlurm(top.slurm, bad);
  if (problems.length > 0) throw new ConfigError(problems);
  return { source: file, config, command: command as 'run' | 'train', out, set, grid, exclude, slurm };
}

function readSlurm(raw: unknown, bad: (keys: (string | number)[], problem: string) => void): SlurmSettings {
  const s: SlurmSettings = { partition: null, time: null, cpus_per_task: 1, mem: null, max_running: null, sbatch_args: [], setup: [] };
  if (raw === undefined || raw === null) return s;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    bad(['slurm'], `must be a mapping with the keys ${SLURM_KEYS.join(', ')}`);
    return s;
  }
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) {
    if (!(SLURM_KEYS as readonly string[]).includes(k)) {
      const near = closestMatch(k, SLURM_KEYS);
      bad(['slurm', k], `is not a SLURM setting${near ? ` (did you mean ${near}?)` : ''}: they are ${SLURM_KEYS.join(', ')}`);
    }
  }
  // values go into #SBATCH lines: no newlines, and nothing a shell would read as a second word
  const word = (k: 'partition' | 'time' | 'mem', example: string) => {
    const v = r[k];
    if (v === undefined || v === null) return null;
    if (typeof v === 'number' && k === 'time') return String(v);
    if (typeof v !== 'string' || !/^[A-Za-z0-9_.:,+\-]+$/.test(v)) {
      bad(['slurm', k], `must be one word as sbatch takes it (e.g. ${example}), got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  };
  s.partition = word('partition', 'debug');
  s.time = word('time', '"02:00:00"');
  s.mem = word('mem', '8G');
  const int = (k: 'cpus_per_task' | 'max_running') => {
    const v = r[k];
    if (v === undefined || v === null) return null;
    if (!Number.isSafeInteger(v) || (v as number) < 1) {
      bad(['slurm', k], `must be a whole number >= 1, got ${JSON.stringify(v)}`);
      return null;
    }
    return v as number;
  };
  s.cpus_per_task = int('cpus_per_task') ?? 1;
  s.max_running = int('max_running');
  const lines = (k: 'sbatch_args' | 'setup') => {
    const v = r[k];
    if (v === undefined || v === null) return [];
    const list = typeof v === 'string' ? [v] : v;
    if (!Array.isArray(list) || list.some((x) => typeof x !== 'string' || x.includes('\n'))) {
      bad(['slurm', k], `must be a list of one-line strings, got ${JSON.stringify(v)}`);
      return [];
    }
    return list as string[];
  };
  s.sbatch_args = lines('sbatch_args');
  for (const [i, a] of s.sbatch_args.entries()) if (!a.startsWith('-')) bad(['slurm', 'sbatch_args', i], `must be an sbatch option (starting with -, e.g. --qos=low), got ${JSON.stringify(a)}`);
  s.setup = lines('setup');
  return s;
}

/**
 * The points of a sweep: every combination of the grid's values (the first key varies slowest) but
 * those `exclude` names, each with `set`'s values, templates filled and relative paths resolved
 * against the sweep file.
 * A point's name is `key-value` per grid key joined by `_` (the key's last part, or the whole key
 * when two grid keys end alike; characters other than letters, digits and `.+-` become `-`), e.g.
 * `seed-3_lambda_p-0.000001` (the value as JavaScript prints it: 1e-7 stays `1e-7`).
 * @throws ConfigError naming a template that names no grid key, two points whose names collide, or
 *   an exclude that leaves no point.
 */
export function sweepPoints(sweep: SweepFile): SweepPoint[] {
  const dir = path.dirname(path.resolve(sweep.source));
  const problems: ConfigProblem[] = [];
  const points: SweepPoint[] = [];
  const combos = gridCombinations(sweep);
  for (const { combo, name, excludedBy } of combos) {
    if (excludedBy !== null) continue;
    const values: Record<string, unknown> = {};
    const origins: Record<string, string> = {};
    const gridValues = Object.fromEntries(sweep.grid.map((g, j) => [g.key, g.values[combo[j]!]]));
    for (const s of sweep.set) {
      const filled = fillTemplates(s.value, { ...gridValues, sweep: path.join(sweep.out) }, (t) =>
        problems.push({ source: sweep.source, key: `set.${s.key}`, problem: `names \${${t}}, which is not a grid key (${sweep.grid.map((g) => g.key).join(', ')}) nor sweep`, line: s.line }),
      );
      values[s.key] = resolvePath(s.key, filled, dir);
      origins[s.key] = `${sweep.source} (set.${s.key}${s.line ? `, line ${s.line}` : ''}, point ${name})`;
    }
    sweep.grid.forEach((g, j) => {
      values[g.key] = resolvePath(g.key, g.values[combo[j]!], dir);
      origins[g.key] = `${sweep.source} (grid.${g.key}[${combo[j]}]${g.line ? `, line ${g.line}` : ''})`;
    });
    points.push({ name, values, origins });
  }
  if (points.length === 0) {
    const entries = sweep.exclude.map((e, i) => `exclude[${i}]${e.line ? ` (line ${e.line})` : ''}`).join(', ');
    problems.push({ source: sweep.source, key: 'exclude', problem: `leaves out all ${combos.length} combinations of the grid (${entries}): no point is left to run; remove or narrow an entry` });
  }
  const byName = new Map<string, number>();
  for (const p of points) byName.set(p.name, (byName.get(p.name) ?? 0) + 1);
  for (const [name, n] of byName) if (n > 1) problems.push({ source: sweep.source, key: 'grid', problem: `gives ${n} points the folder name ${name}: grid values that differ only in characters other than letters, digits and .+- cannot be told apart; write them differently` });
  if (problems.length > 0) throw new ConfigError(dedupe(problems));
  return points;
}

/** The points `exclude` leaves out: their names and the entry (index, line) that leaves each out. */
export function excludedPoints(sweep: SweepFile): Array<{ name: string; entry: number; line?: number }> {
  return gridCombinations(sweep)
    .filter((c) => c.excludedBy !== null)
    .map((c) => ({ name: c.name, entry: c.excludedBy!, line: sweep.exclude[c.excludedBy!]!.line }));
}

/** Every combination of the grid's values (indices per grid key, the first key slowest), its point
 *  name, and the first exclude entry that leaves it out (null: none). */
function gridCombinations(sweep: SweepFile): Array<{ combo: number[]; name: string; excludedBy: number | null }> {
  const last = (k: string) => k.split('.').pop()!;
  const shortNames = sweep.grid.map((g) => (sweep.grid.filter((h) => last(h.key) === last(g.key)).length > 1 ? g.key : last(g.key)));
  let combos: number[][] = [[]];
  for (const g of sweep.grid) combos = combos.flatMap((c) => g.values.map((_, i) => [...c, i]));
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  return combos.map((combo) => {
    const excludedBy = sweep.exclude.findIndex((e) => sweep.grid.every((g, j) => !(g.key in e.values) || same(e.values[g.key], g.values[combo[j]!])));
    return {
      combo,
      name: sweep.grid.map((g, j) => `${shortNames[j]}-${nameValue(g.values[combo[j]!], combo[j]!)}`).join('_'),
      excludedBy: excludedBy < 0 ? null : excludedBy,
    };
  });
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.key}|${p.problem}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** A grid value as it shows in a point's folder name (its index for lists and mappings). */
function nameValue(v: unknown, index: number): string {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return v.replace(/[^A-Za-z0-9.+-]+/g, '-').replace(/^-+|-+$/g, '') || String(index);
  return String(index);
}

/** `value` with ${name} in strings replaced by vars[name] (a whole-string template keeps the value's type). */
function fillTemplates(value: unknown, vars: Record<string, unknown>, unknown: (name: string) => void): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([A-Za-z0-9_.]+)\}$/.exec(value);
    if (whole) {
      if (!(whole[1]! in vars)) unknown(whole[1]!);
      return vars[whole[1]!] ?? value;
    }
    return value.replace(/\$\{([A-Za-z0-9_.]+)\}/g, (m, k: string) => {
      if (!(k in vars)) {
        unknown(k);
        return m;
      }
      return String(vars[k]);
    });
  }
  if (Array.isArray(value)) return value.map((v) => fillTemplates(v, vars, unknown));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplates(v, vars, unknown)]));
  return value;
}

/** A path-valued key's relative value resolved against the sweep file's folder; other values as they are. */
function resolvePath(key: string, value: unknown, dir: string): unknown {
  const node = nodeAt(configStructure, key);
  if (node && isPathField(node) && typeof value === 'string' && value !== '') return path.resolve(dir, value);
  return value;
}

/**
 * The base config's text with every relative path made absolute (against `baseDir`, the base config's
 * folder), comments kept: the copy a sweep folder keeps, so that its points read the config the sweep
 * started with wherever the copy lies.
 * @throws nothing beyond what loadConfig has already reported for the same text.
 */
export function absolutePathsConfigText(text: string, baseDir: string, header: string): string {
  const doc = parseDocument(text, { keepSourceTokens: false });
  for (const f of fieldsOf(configStructure)) {
    if (!isPathField(f.schema)) continue;
    const v = doc.getIn(f.key);
    if (typeof v === 'string' && v !== '' && !path.isAbsolute(v)) doc.setIn(f.key, path.resolve(baseDir, v));
  }
  if (!isMap(doc.contents)) return text;
  (doc as Document).commentBefore = [` ${header}`, doc.commentBefore ? doc.commentBefore : ''].filter(Boolean).join('\n');
  return doc.toString({ lineWidth: 0 });
}
