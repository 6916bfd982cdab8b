// Mutated configs never make nasgrow fail with an internal error (exit 2) or hang: every problem is a
// user error (exit 1) that names what to fix. fast-check mutates a small, valid config — a key's value
// replaced by a value of another kind, out of range, huge or empty; keys deleted, added, misspelt,
// nested wrongly; the YAML text cut or given stray characters — and each mutant goes through what
// `nasgrow validate` and the start of `nasgrow train` do (config, device, output folder, data, the
// network's fit; src/cli/shared/run-setup.ts startRun). Valid mutants of a small network are then
// trained for an epoch in-process.
import test from 'ava';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { isUserError } from '../../src/cli/errors';
import { inSession, startRun } from '../../src/cli/shared/run-setup';
import { trainFromConfig } from '../../src/cli/train/train';
import { parseConfig } from '../../src/config';
import { paramCount } from '../../src/models/params';
import { ROOT } from '../helpers/root';

const RUNS = Number(process.env.NASGROW_FUZZ_RUNS ?? 320);
const SEED = Number(process.env.NASGROW_FUZZ_SEED ?? 20261201);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-config-fuzz-'));

const BASE = {
  seed: 3,
  model: { family: 'vgg19', width: 2 },
  data: { dataset: 'fashion-mnist', path: path.join(ROOT, 'data', 'sample', 'fashion-mnist'), limit_train: 64, limit_test: 32, augment: { crop: false, flip: false } },
  train: { epochs: 1, batch_size: 16, lr: 0.05, schedule: 'cosine' },
  runtime: { threads: 1 },
  grow: { cycles: 1, phase_epochs: 1 },
};

const KEYS: string[][] = [];
const walk = (o: Record<string, unknown>, prefix: string[]) => {
  for (const [k, v] of Object.entries(o)) {
    KEYS.push([...prefix, k]);
    if (v && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, [...prefix, k]);
  }
};
walk(BASE, []);
for (const k of ['model.arch', 'data.classes', 'data.normalize', 'data.cache_dir', 'train.milestones', 'train.gamma', 'train.momentum', 'train.nesterov', 'train.weight_decay', 'train.eval_every', 'train.checkpoint_every', 'runtime.device', 'output.dir', 'grow.lambda_p', 'grow.top_fraction', 'grow.min_width', 'grow.granularity', 'grow.estimate', 'grow.theta_steps', 'grow.final_batches', 'grow.retrain_epochs']) KEYS.push(k.split('.'));

/** Values of every kind a YAML value can take, with the edges that break things: 0, −1, huge, NaN-like, empty. */
const value = fc.oneof(
  fc.constantFrom(0, -1, 1, 2, 1e-30, 1e30, 1e9, 100000, 0.5, 1.5, -0.0),
  fc.integer({ min: -5, max: 70000 }),
  fc.double({ noNaN: true }),
  fc.constantFrom('', 'auto', 'cuda', 'cpu', 'step', 'sample', 'mobilenetv1', '/dev/null/x', '/proc/nasgrow', '..', '~', 'nope.yaml', '1e-5', 'NaN', '.inf'),
  fc.string({ maxLength: 8 }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 40 }), fc.string({ maxLength: 3 })), { maxLength: 17 }),
  fc.constant([[0.5], [0.25]]),
  fc.constant({}),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { maxKeys: 2 }),
);

type Mutation =
  | { kind: 'set'; key: string[]; value: unknown }
  | { kind: 'delete'; key: string[] }
  | { kind: 'unknown'; key: string[]; name: string; value: unknown }
  | { kind: 'cut'; at: number }
  | { kind: 'garbage'; at: number; text: string };

const keyArb = fc.constantFrom(...KEYS);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb, value }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unknown' as const), key: keyArb, name: fc.constantFrom('epoch', 'lr', 'widht', 'path', 'x.y', 'train'), value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('garbage' as const), at: fc.nat(), text: fc.constantFrom(':', '- ', '{', '"', '\t', '&a *a', '? ', '\u0000', 'key: [1, 2', '  x: 1\n') }) },
);

function apply(mutations: Mutation[]): string {
  const cfg = structuredClone(BASE) as Record<string, unknown>;
  const at = (key: string[]) => {
    let o = cfg;
    for (const k of key.slice(0, -1)) {
      if (typeof o[k] !== 'object' || o[k] === null || Array.isArray(o[k])) o[k] = {};
      o = o[k] as Record<string, unknown>;
    }
    return o;
  };
  let text: string | null = null;
  for (const m of mutations) {
    if (m.kind === 'set') at(m.key)[m.key[m.key.length - 1]!] = m.value;
    else if (m.kind === 'delete') delete at(m.key)[m.key[m.key.length - 1]!];
    else if (m.kind === 'unknown') at(m.key)[m.name] = m.value;
    else {
      text ??= stringify(cfg);
      const i: number = m.at % (text.length + 1);
      text = m.kind === 'cut' ? text.slice(0, i) : text.slice(0, i) + m.text + text.slice(i);
    }
  }
  return text ?? stringify(cfg);
}

const seen = { cases: 0, invalid: 0, refusedLater: 0, trained: 0, started: 0 };

/** Rethrows anything that is not a user error (exit 1): a bug. */
function userErrorOnly(e: unknown, what: string, yaml: string): void {
  if (!isUserError(e)) throw new Error(`${what} threw an internal error for:\n${yaml}\n${(e as Error)?.stack ?? e}`);
}

test('mutated configs give a user error or run: never an internal error, never a hang', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
      seen.cases++;
      const yaml = apply(mutations);
      const file = path.join(dir, `c${seen.cases}.yaml`);
      fs.writeFileSync(file, yaml);
      try {
        parseConfig(yaml, file);
      } catch (e) {
        userErrorOnly(e, 'validate', yaml);
        seen.invalid++;
        return;
      }
      const out = path.join(dir, `run${seen.cases}`);
      let session;
      try {
        session = await startRun({ config: file, out }, 'train', { quiet: true });
      } catch (e) {
        userErrorOnly(e, 'the start of train', yaml);
        seen.refusedLater++;
        return;
      }
      seen.started++;
      // train small networks for real (one epoch at most); a big valid one is only started
      const small = paramCount(session.arch) <= 20000 && session.data.train.n <= 64 && session.cfg.train.epochs <= 2;
      try {
        if (small) {
          await inSession(session, () => trainFromConfig(session!));
          seen.trained++;
        } else {
          await session.data.close();
          session.run.lock.release();
        }
      } catch (e) {
        userErrorOnly(e, 'train', yaml);
      }
    }),
    { numRuns: RUNS, seed: SEED, interruptAfterTimeLimit: 240_000 },
  );
  t.log(`${seen.cases} mutated configs (seed ${SEED}): ${seen.invalid} refused by validation, ${seen.refusedLater} refused before the run folder (data, fit, folder), ${seen.started} started, ${seen.trained} trained an epoch in-process`);
  t.true(seen.cases >= Math.min(RUNS, 300), `only ${seen.cases} cases ran in the time limit`);
  t.true(seen.trained > 0, 'no mutant was trained: the property would not see a failure of training');
});

test.after.always(() => fs.rmSync(dir, { recursive: true, force: true }));
