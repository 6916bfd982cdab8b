// Property tests (fast-check) of the files a run folder reads back on resume: a checkpoint, a phase
// state (phases/phase-NN/state.safetensors), progress.json and metrics.jsonl, each mutated (bit flips,
// truncation, zero length, appended bytes, overwritten bytes, header-length and header/JSON edits).
// Loading a mutated file either gives exactly what was saved or throws a user error naming the file;
// never another exception, never a different state.
//
// The JSON text files carry no checksum (people read and edit them), so for them a mutation that
// still yields a well-formed value (a digit flipped, a record cut at a line boundary) is accepted if the
// value has the right shape; the checkpoints' checksum (src/util/safetensors.ts) leaves no such room.
// NASGROW_FUZZ_SEED and NASGROW_FUZZ_RUNS replay or widen a run; a failure prints its seed and path.
import test, { ExecutionContext } from 'ava';
import fc from 'fast-check';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCheckpoint, saveCheckpoint } from '../../src/models/checkpoint';
import { ModelState } from '../../src/models/state';
import { MetricRecord, MetricsWriter, readRunProgress, RunProgress } from '../../src/report';
import { writeJsonFile } from '../../src/util/atomic-write';
import { CHECKSUM_AT } from '../../src/util/safetensors';
import { smallState, statesIdentical } from '../helpers/model-state';

const SEED = Number(process.env.NASGROW_FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.NASGROW_FUZZ_RUNS ?? 200);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-fuzz-'));
test.after.always(() => fs.rmSync(root, { recursive: true, force: true }));

/** The oracle failed: a mutated file loaded as something else than what was saved, or threw a non-user error. */
class OracleFailure extends Error {}

type Outcome = 'identical' | 'refused' | 'other valid value';

/** Run `load`; a thrown error must be a user error whose message names `file`. */
function attempt<T>(file: string, load: () => T): { value: T } | 'refused' {
  try {
    return { value: load() };
  } catch (e) {
    const err = e as { userError?: unknown; message?: unknown; stack?: unknown };
    if (err?.userError === true && typeof err.message === 'string' && err.message.includes(file)) return 'refused';
    throw new OracleFailure(`not a user error naming ${file}: ${String(err?.stack ?? e)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Mutations

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'empty' }
  | { kind: 'append'; bytes: Uint8Array }
  | { kind: 'overwrite'; pos: number; bytes: Uint8Array }
  | { kind: 'headerLength'; value: bigint }
  | { kind: 'header'; edit: HeaderEdit; reseal: boolean }
  | { kind: 'json'; edit: JsonEdit };

/** Byte-level mutations of a file of `len` bytes; positions below `hot` (its header) drawn more often. */
function byteMutation(len: number, hot: number): fc.Arbitrary<Mutation> {
  const pos = fc.oneof(fc.nat(hot - 1), fc.nat(len - 1));
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('flip' as const), pos, bit: fc.nat(7) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), length: fc.oneof(fc.nat(hot), fc.nat(len - 1)) }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'empty' as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 32 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('overwrite' as const), pos, bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }) },
  );
}

function applyBytes(buf: Buffer, m: Mutation): Buffer {
  switch (m.kind) {
    case 'flip': {
      const out = Buffer.from(buf);
      out[m.pos] = out[m.pos]! ^ (1 << m.bit);
      return out;
    }
    case 'truncate':
      return buf.subarray(0, m.length);
    case 'empty':
      return Buffer.alloc(0);
    case 'append':
      return Buffer.concat([buf, m.bytes]);
    case 'overwrite': {
      const out = Buffer.from(buf);
      Buffer.from(m.bytes).copy(out, m.pos);
      return out;
    }
    case 'headerLength': {
      const out = Buffer.from(buf);
      out.writeBigUInt64LE(m.value, 0);
      return out;
    }
    default:
      throw new Error(`not a byte mutation: ${m.kind}`);
  }
}

// Edits of a safetensors header (parsed, changed, written back with the data section unchanged).
type HeaderEdit =
  | { op: 'dropTensor'; i: number }
  | { op: 'renameTensor'; i: number; suffix: string }
  | { op: 'dtype'; i: number; value: unknown }
  | { op: 'shape'; i: number; value: unknown }
  | { op: 'offsets'; i: number; value: unknown }
  | { op: 'swapOffsets'; i: number; j: number }
  | { op: 'dropMeta'; key: string }
  | { op: 'setMeta'; key: string; value: unknown }
  | { op: 'arch'; field: string; layer: number; value: unknown }
  | { op: 'replace'; value: unknown }
  | { op: 'downgrade' };

/**
 * Edits that a fresh checksum cannot make acceptable: the structure of the tensors, the header's type.
 * (Not swapOffsets: two tensors of one shape trade their data, which only the checksum can tell.)
 */
const STRUCTURAL = new Set(['dropTensor', 'renameTensor', 'dtype', 'shape', 'offsets', 'replace']);

function headerEdit(tensors: number): fc.Arbitrary<HeaderEdit> {
  const i = fc.nat(tensors - 1);
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.constant(undefined));
  const dims = fc.array(fc.oneof(fc.nat(5), fc.integer({ min: -2, max: 40 })), { maxLength: 4 });
  return fc.oneof(
    fc.record({ op: fc.constant('dropTensor' as const), i }),
    fc.record({ op: fc.constant('renameTensor' as const), i, suffix: fc.string({ minLength: 1, maxLength: 3 }) }),
    fc.record({ op: fc.constant('dtype' as const), i, value: fc.oneof(fc.constantFrom('F32', 'I64', 'F16', 'BF16', 'F64', 'f32'), anyValue) }),
    fc.record({ op: fc.constant('shape' as const), i, value: fc.oneof(dims, anyValue) }),
    fc.record({ op: fc.constant('offsets' as const), i, value: fc.oneof(fc.tuple(fc.integer({ min: -8, max: 40_000 }), fc.integer({ min: -8, max: 40_000 })), anyValue) }),
    fc.record({ op: fc.constant('swapOffsets' as const), i, j: i }),
    fc.record({ op: fc.constant('dropMeta' as const), key: fc.constantFrom('sha256', 'format', 'arch', 'epoch', 'phase', 'seed') }),
    fc.record({ op: fc.constant('setMeta' as const), key: fc.constantFrom('sha256', 'format', 'arch', 'epoch', 'phase', 'other'), value: fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('nasgrow-checkpoint-1', 'nasgrow-checkpoint-3', '0'.repeat(64)), anyValue) }),
    fc.record({ op: fc.constant('arch' as const), field: fc.constantFrom('stride', 'width', 'kernel', 'pool', 'name', 'depthwise', 'family', 'classes'), layer: fc.nat(13), value: anyValue }),
    fc.record({ op: fc.constant('replace' as const), value: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({})) }),
    fc.constant({ op: 'downgrade' as const }),
  );
}

const setOrDelete = (o: Record<string, unknown>, k: string, v: unknown) => (v === undefined ? delete o[k] : (o[k] = v));

function applyHeaderEdit(buf: Buffer, edit: HeaderEdit, reseal: boolean): Buffer {
  const n = Number(buf.readBigUInt64LE(0));
  let header: unknown = JSON.parse(buf.toString('utf8', 8, 8 + n));
  const h = header as Record<string, Record<string, unknown>>;
  const names = Object.keys(h).filter((k) => k !== '__metadata__');
  const meta = h.__metadata__!;
  const name = (i: number) => names[i % names.length]!;
  switch (edit.op) {
    case 'dropTensor':
      delete h[name(edit.i)];
      break;
    case 'renameTensor': {
      // rebuilt in order, so that the renamed entry keeps its place
      const rebuilt: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(h)) rebuilt[k === name(edit.i) ? k + edit.suffix : k] = v;
      header = rebuilt;
      break;
    }
    case 'dtype':
      setOrDelete(h[name(edit.i)]!, 'dtype', edit.value);
      break;
    case 'shape':
      setOrDelete(h[name(edit.i)]!, 'shape', edit.value);
      break;
    case 'offsets':
      setOrDelete(h[name(edit.i)]!, 'data_offsets', edit.value);
      break;
    case 'swapOffsets': {
      const a = h[name(edit.i)]!;
      const b = h[name(edit.j + 1)]!;
      [a.data_offsets, b.data_offsets] = [b.data_offsets, a.data_offsets];
      break;
    }
    case 'dropMeta':
      delete meta[edit.key];
      break;
    case 'setMeta':
      setOrDelete(meta, edit.key, edit.value);
      break;
    case 'arch': {
      const arch = JSON.parse(meta.arch as string) as Record<string, unknown> & { layers: Array<Record<string, unknown>> };
      const target = edit.field === 'family' || edit.field === 'classes' ? arch : arch.layers[edit.layer % arch.layers.length]!;
      setOrDelete(target, edit.field, edit.value);
      meta.arch = JSON.stringify(arch);
      break;
    }
    case 'replace':
      header = edit.value;
      break;
    case 'downgrade':
      meta.format = 'nasgrow-checkpoint-1';
      delete meta.sha256;
      break;
  }
  let json = JSON.stringify(header);
  while ((8 + Buffer.byteLength(json)) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const out = Buffer.concat([len, Buffer.from(json), buf.subarray(8 + n)]);
  // A fresh checksum, as someone who rewrote the file with a checksumming tool would leave it: the
  // structural checks must hold on their own.
  if (reseal && json.startsWith('{"__metadata__":{"sha256":"') && out.length >= CHECKSUM_AT + 64) {
    out.write('0'.repeat(64), CHECKSUM_AT, 'latin1');
    out.write(createHash('sha256').update(out).digest('hex'), CHECKSUM_AT, 'latin1');
  }
  return out;
}

function safetensorsMutation(buf: Buffer): fc.Arbitrary<Mutation> {
  const n = Number(buf.readBigUInt64LE(0));
  const tensors = Object.keys(JSON.parse(buf.toString('utf8', 8, 8 + n))).length - 1;
  return fc.oneof(
    { weight: 6, arbitrary: byteMutation(buf.length, 8 + n) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('headerLength' as const),
        value: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -16, max: 16 }).map((d) => BigInt(Math.max(0, n + d)))),
      }),
    },
    {
      weight: 4,
      arbitrary: headerEdit(tensors).chain((edit) =>
        (STRUCTURAL.has(edit.op) ? fc.boolean() : fc.constant(false)).map((reseal) => ({ kind: 'header' as const, edit, reseal })),
      ),
    },
  );
}

const applySafetensors = (buf: Buffer, m: Mutation) => (m.kind === 'header' ? applyHeaderEdit(buf, m.edit, m.reseal) : applyBytes(buf, m));

// Edits of a JSON text file (progress.json).
type JsonEdit = { op: 'drop'; key: string } | { op: 'set'; key: string; value: unknown } | { op: 'replace'; value: unknown };

function jsonEdit(keys: string[]): fc.Arbitrary<JsonEdit> {
  const key = fc.constantFrom(...keys, 'extra');
  return fc.oneof(
    fc.record({ op: fc.constant('drop' as const), key }),
    fc.record({ op: fc.constant('set' as const), key, value: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.integer({ min: -3, max: 30 }), fc.boolean()) }),
    fc.record({ op: fc.constant('replace' as const), value: fc.jsonValue({ maxDepth: 2 }) }),
  );
}

function applyJson(buf: Buffer, m: Mutation): Buffer {
  if (m.kind !== 'json') return applyBytes(buf, m);
  let value: unknown = JSON.parse(buf.toString('utf8'));
  const o = value as Record<string, unknown>;
  if (m.edit.op === 'drop') delete o[m.edit.key];
  else if (m.edit.op === 'set') o[m.edit.key] = m.edit.value;
  else value = m.edit.value;
  return Buffer.from(JSON.stringify(value, null, 2) + '\n');
}

// ---------------------------------------------------------------------------------------------------
// The properties

/** Check every case of `mutations` against `oracle`; log the count, outcomes and time. */
function fuzz(t: ExecutionContext, what: string, mutations: fc.Arbitrary<Mutation>, oracle: (m: Mutation, dir: string) => Outcome): void {
  const tally = new Map<string, number>();
  let cases = 0;
  const started = performance.now();
  fc.assert(
    fc.property(mutations, (m) => {
      const dir = path.join(root, `${what.replace(/\W+/g, '-')}-${cases++}`);
      fs.mkdirSync(dir, { recursive: true });
      const outcome = oracle(m, dir);
      const key = `${m.kind}${m.kind === 'header' ? `:${m.edit.op}${m.reseal ? '+resealed' : ''}` : ''} ${outcome}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      fs.rmSync(dir, { recursive: true, force: true });
    }),
    { seed: SEED, numRuns: RUNS, includeErrorInReport: true },
  );
  const ms = performance.now() - started;
  const outcomes = ['identical', 'refused', 'other valid value'].map((o) => `${o} ${[...tally].filter(([k]) => k.endsWith(o)).reduce((s, [, c]) => s + c, 0)}`);
  t.log(`${what}: ${cases} mutated files (seed ${SEED}) in ${(ms / 1000).toFixed(2)} s: ${outcomes.join(', ')}`);
  t.log([...tally].sort().map(([k, c]) => `  ${k}: ${c}`).join('\n'));
  t.true(cases >= RUNS);
  t.true([...tally.keys()].some((k) => k.startsWith('empty ')), 'no zero-length case was drawn');
}

/** Load `file` as a checkpoint: exactly `state` and `metadata`, or a user error naming it. */
function checkLoad(file: string, state: ModelState, metadata: Record<string, string>, mayWarn: boolean): Outcome {
  const warnings: string[] = [];
  const r = attempt(file, () => loadCheckpoint(file, { warn: (w) => warnings.push(w) }));
  if (r === 'refused') return 'refused';
  if (!statesIdentical(r.value.state, state) || JSON.stringify(r.value.metadata) !== JSON.stringify(metadata)) {
    throw new OracleFailure(`${file} loaded as a different state or metadata (${JSON.stringify(r.value.metadata)})`);
  }
  // only a file downgraded to the format without checksum loads unverified, and it says so
  if (warnings.length > 0 && !mayWarn) throw new OracleFailure(`unexpected warning ${warnings}`);
  return 'identical';
}

/** The oracle of a mutated checkpoint written to `<dir>/<name>`. */
function checkpointOracle(state: ModelState, metadata: Record<string, string>, bytes: Buffer, name: string) {
  return (m: Mutation, dir: string): Outcome => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, applySafetensors(bytes, m));
    return checkLoad(file, state, metadata, m.kind === 'header' && m.edit.op === 'downgrade');
  };
}

test('mutated checkpoints load exactly as saved or are refused naming the file', (t) => {
  const state = smallState(7);
  const metadata = { epoch: '12', seed: '7' };
  const file = path.join(root, 'epoch-0012.safetensors');
  saveCheckpoint(file, state, metadata);
  const bytes = fs.readFileSync(file);
  fuzz(t, 'checkpoint', safetensorsMutation(bytes), checkpointOracle(state, metadata, bytes, path.join('checkpoints', 'epoch-0012.safetensors')));
});

test('mutated phase states load exactly as saved or are refused naming the file', (t) => {
  const state = smallState(3, 'mobilenetv1');
  const metadata = { phase: '1' };
  const file = path.join(root, 'state.safetensors');
  saveCheckpoint(file, state, metadata);
  const bytes = fs.readFileSync(file);
  fuzz(t, 'phase state', safetensorsMutation(bytes), checkpointOracle(state, metadata, bytes, path.join('phases', 'phase-01', 'state.safetensors')));
});

test('stacked byte mutations of a checkpoint load exactly as saved or are refused naming the file', (t) => {
  const state = smallState(5);
  const file = path.join(root, 'epoch-0001.safetensors');
  saveCheckpoint(file, state, { epoch: '1' });
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  // two or three flips/overwrites at once (truncations and appends compose the same way one at a time)
  const stacked = fc.array(byteMutation(bytes.length, 8 + n).filter((m) => m.kind === 'flip' || m.kind === 'overwrite'), { minLength: 2, maxLength: 3 });
  let cases = 0;
  const tally: Record<string, number> = {};
  const started = performance.now();
  fc.assert(
    fc.property(stacked, (ms) => {
      const dir = path.join(root, `stacked-${cases++}`);
      fs.mkdirSync(dir);
      const file = path.join(dir, 'epoch-0001.safetensors');
      fs.writeFileSync(file, ms.reduce((b: Buffer, m) => applyBytes(b, m), bytes));
      const o = checkLoad(file, state, { epoch: '1' }, false);
      tally[o] = (tally[o] ?? 0) + 1;
      fs.rmSync(dir, { recursive: true, force: true });
    }),
    { seed: SEED, numRuns: Math.ceil(RUNS / 2), includeErrorInReport: true },
  );
  t.log(`stacked: ${cases} mutated files (seed ${SEED}) in ${((performance.now() - started) / 1000).toFixed(2)} s: ${JSON.stringify(tally)}`);
  t.true(cases >= RUNS / 2);
});

const isProgress = (p: RunProgress) =>
  Object.keys(p).join() === 'completedPhases,retrainDone,seconds' && Number.isSafeInteger(p.completedPhases) && p.completedPhases >= 0 && typeof p.retrainDone === 'boolean' && Number.isFinite(p.seconds) && p.seconds >= 0;

test('mutated progress.json files read back as saved, as another well-formed progress, or are refused naming the file', (t) => {
  const saved: RunProgress = { completedPhases: 3, retrainDone: false, seconds: 1234.5 };
  const file0 = path.join(root, 'progress.json');
  writeJsonFile(file0, saved);
  const bytes = fs.readFileSync(file0);
  const mutations = fc.oneof({ weight: 3, arbitrary: byteMutation(bytes.length, bytes.length) }, { weight: 2, arbitrary: jsonEdit(Object.keys(saved)).map((edit) => ({ kind: 'json' as const, edit })) });
  fuzz(t, 'progress.json', mutations, (m, dir) => {
    const file = path.join(dir, 'progress.json');
    fs.writeFileSync(file, applyJson(bytes, m));
    const r = attempt(file, () => readRunProgress(file));
    if (r === 'refused') return 'refused';
    if (JSON.stringify(r.value) === JSON.stringify(saved)) return 'identical';
    if (!isProgress(r.value)) throw new OracleFailure(`${file} read back as ${JSON.stringify(r.value)}`);
    // byte damage (a flip, an overwrite, a cut, bytes appended, an emptied file) is never another valid
    // progress; only a deliberate edit of a value is taken as written (the remedies ask for such edits)
    if (m.kind !== 'json') throw new OracleFailure(`${m.kind}: read back as ${JSON.stringify(r.value)}`);
    return 'other valid value';
  });
});

// metrics.csv holds the same records: a changed metrics.jsonl that still parses disagrees with it
// (src/report/metrics.ts), so nothing but the saved records, or a refusal, comes back.
test('mutated metrics.jsonl files read back as saved or are refused naming the file (and the line, or metrics.csv that disagrees)', (t) => {
  const src = path.join(root, 'metrics-src');
  const w = new MetricsWriter(src);
  const saved: MetricRecord[] = [];
  for (let k = 0; k < 6; k++) {
    const r: MetricRecord = { phase: Math.floor(k / 2), kind: k % 2 ? 'grow' : 'train', epoch: k % 2 ? null : k + 1, lr: 0.05 / (k + 1), loss: 2.3 - k / 7, acc: k % 2 ? null : 0.1 * k, seconds: 1.5 + k, params: 1234 + k, test_loss: NaN, test_acc: null };
    w.write(r);
    saved.push(JSON.parse(JSON.stringify(r, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) as MetricRecord);
  }
  t.deepEqual(w.readAll(), saved);
  const bytes = fs.readFileSync(w.jsonlPath);
  const csv = fs.readFileSync(w.csvPath);
  fuzz(t, 'metrics.jsonl', byteMutation(bytes.length, bytes.length), (m, dir) => {
    const file = path.join(dir, 'metrics.jsonl');
    fs.writeFileSync(file, applyBytes(bytes, m));
    fs.writeFileSync(path.join(dir, 'metrics.csv'), csv);
    const r = attempt(file, () => new MetricsWriter(dir, 'metrics', { onWarning: () => {} }).readAll());
    if (r === 'refused') return 'refused';
    const records = r.value;
    if (JSON.stringify(records) === JSON.stringify(saved)) return 'identical';
    throw new OracleFailure(`${file} read back as other records than were saved: ${JSON.stringify(records)}`);
  });
});
