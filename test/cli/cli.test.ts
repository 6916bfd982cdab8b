// The command line: exit codes and messages of the error handler, and the commands' own logic.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { loadConfig, renderConfigYaml } from '../../src/config';
import { UsageError, reportError } from '../../src/cli/errors';
import { onnx } from 'onnx-proto';
import { exportGraphs, exportTarget, parseShape, parseWidths, runExport } from '../../src/cli/export/export';
import { runExportSeeds } from '../../src/cli/export-seeds/export-seeds';
import { checkResumable, summaryLines } from '../../src/cli/shared/run-setup';
import { mobilenetv1, vgg19 } from '../../src/models/arch';
import { paramCount } from '../../src/models/params';
import { prepareRunFolder } from '../../src/report';
import { writePng } from '../data/fixtures';
import { tempDir } from '../helpers/temp-dir';

// dist/test/cli -> the repository root
const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'nasgrow');

function sandbox() {
  const dir = tempDir('nasgrow-cli-');
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'fm'), '');
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return path.join(dir, name);
  };
  return { dir, write };
}

function nasgrow(args: string[], cwd: string, bin = BIN) {
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('validate with a bad config: exit 1, the problem as the title, no stack', (t) => {
  const { dir, write } = sandbox();
  write('bad.yaml', 'data:\n  path: data/fm\ntrain:\n  lr: fast\n  epoch: 3\n');
  const r = nasgrow(['validate', 'bad.yaml'], dir);
  t.is(r.code, 1);
  t.is(r.stdout, '');
  t.is(
    r.stderr,
    'error: bad.yaml: train.lr must be a number > 0, got "fast" (line 4)\n' + 'bad.yaml: train.epoch is not a known key (did you mean train.epochs?) (line 5)\n',
  );
});

test('a reader that closes the pipe early (`| head`) ends the command quietly, not with an EPIPE stack', (t) => {
  // `| true` has no reader by the time nasgrow writes: every write fails with EPIPE
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${JSON.stringify(BIN)} config-reference | true`], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.is(r.stderr, '');
  // the error stream too (`2>&1 | head`): a problem still exits 1, quietly
  const both = spawnSync('bash', ['-c', `set -o pipefail; ${JSON.stringify(BIN)} validate /nonexistent.yaml 2>&1 | true`], { encoding: 'utf8' });
  t.is(both.status, 1, both.stderr);
});

test('--verbose adds the stack trace', (t) => {
  const { dir, write } = sandbox();
  write('bad.yaml', 'data:\n  path: data/fm\ntrain:\n  lr: fast\n');
  const r = nasgrow(['validate', 'bad.yaml', '--verbose'], dir);
  t.is(r.code, 1);
  t.true(r.stderr.startsWith('error: bad.yaml: train.lr must be a number > 0, got "fast" (line 4)\n'));
  t.regex(r.stderr, /ConfigError: stack\n\s+at /);
});

test('validate with a good config prints the resolved config as YAML', (t) => {
  const { dir, write } = sandbox();
  write('good.yaml', 'data:\n  path: data/fm\ntrain:\n  epochs: 3\n');
  const r = nasgrow(['validate', 'good.yaml', '--no-data'], dir);
  t.is(r.code, 0, r.stderr);
  const cfg = parseYaml(r.stdout) as { data: { path: string }; train: { epochs: number; lr: number }; output: { dir: string } };
  const real = fs.realpathSync(dir);
  t.is(cfg.data.path, path.join(real, 'data', 'fm'));
  t.is(cfg.train.epochs, 3);
  t.is(cfg.train.lr, 0.1);
  t.is(cfg.output.dir, path.join(real, 'runs', 'good'));
});

test('validate --no-data checks the config without its data: a data.path that is not here passes, and fails without --no-data', (t) => {
  const { dir, write } = sandbox();
  write('elsewhere.yaml', 'data:\n  path: /nowhere/cifar10.tar.gz\n  dataset: cifar10\nmodel:\n  arch: missing-arch.json\n');
  const alone = nasgrow(['validate', 'elsewhere.yaml', '--no-data'], dir);
  t.is(alone.code, 1, 'the other input paths are still checked');
  t.regex(alone.stderr, /model\.arch points to .*missing-arch\.json, which does not exist/);
  t.notRegex(alone.stderr, /data\.path/);
  write('elsewhere.yaml', 'data:\n  path: /nowhere/cifar10.tar.gz\n  dataset: cifar10\n');
  const ok = nasgrow(['validate', 'elsewhere.yaml', '--no-data'], dir);
  t.is(ok.code, 0, ok.stderr);
  t.is((parseYaml(ok.stdout) as { data: { path: string } }).data.path, '/nowhere/cifar10.tar.gz');
  const withData = nasgrow(['validate', 'elsewhere.yaml'], dir);
  t.is(withData.code, 1);
  t.regex(withData.stderr, /data\.path points to \/nowhere\/cifar10\.tar\.gz, which does not exist/);
});

test('a missing config file and bad YAML are user errors', (t) => {
  const { dir, write } = sandbox();
  const missing = nasgrow(['validate', 'nope.yaml'], dir);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /^error: nope\.yaml: config file not found/);
  write('syntax.yaml', 'data:\n  path: [data/fm\n');
  const syntax = nasgrow(['validate', 'syntax.yaml'], dir);
  t.is(syntax.code, 1);
  t.regex(syntax.stderr, /^error: syntax\.yaml: invalid YAML at line \d+, column \d+: /);
});

test('config-reference prints the Markdown table', (t) => {
  const r = nasgrow(['config-reference'], ROOT);
  t.is(r.code, 0, r.stderr);
  t.true(r.stdout.startsWith('| Key | Type | Default | Description |\n| --- | --- | --- | --- |\n'));
  t.true(r.stdout.includes('| `grow.lambda_p` | number >= 0 | `3e-7` |'));
});

test('argument errors exit 1 with a pointer to --help', (t) => {
  const typo = nasgrow(['valdate', 'x.yaml'], ROOT);
  t.is(typo.code, 1);
  t.is(typo.stderr, 'error: unknown command "valdate" (did you mean validate?)\nrun `nasgrow --help` for usage\n');
  const none = nasgrow([], ROOT);
  t.is(none.code, 1);
  t.regex(none.stderr, /^error: name a command\n/);
  const flag = nasgrow(['validate', 'x.yaml', '--bogus'], ROOT);
  t.is(flag.code, 1);
  t.is(flag.stderr, 'error: Unknown argument: bogus\nrun `nasgrow validate --help` for usage\n');
  // text for a number: the text as typed, not NaN
  const word = nasgrow(['train', 'x.yaml', '--threads', 'abc'], ROOT);
  t.is(word.code, 1);
  t.is(word.stderr, 'error: --threads must be a number, got "abc"\nrun `nasgrow train --help` for usage\n');
  const eq = nasgrow(['sweep', 'x.yaml', '--jobs=two'], ROOT);
  t.is(eq.stderr, 'error: --jobs must be a number, got "two"\nrun `nasgrow sweep --help` for usage\n');
});

test('the shim says to build first when dist is missing', (t) => {
  const dir = tempDir('nasgrow-shim-');
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.copyFileSync(BIN, path.join(dir, 'bin', 'nasgrow'));
  const r = nasgrow(['--help'], dir, path.join(dir, 'bin', 'nasgrow'));
  t.is(r.code, 1);
  t.regex(r.stderr, /run `npm run build` first/);
});

test('reportError: user errors exit 1, internal errors 2 with a --verbose hint', (t) => {
  const out: string[] = [];
  const w = { write: (s: string) => out.push(s) };
  t.is(reportError(new UsageError('first line\nsecond line'), false, w), 1);
  t.is(out.join(''), 'error: first line\nsecond line\n');
  out.length = 0;
  t.is(reportError(new TypeError('x is undefined'), false, w), 2);
  t.is(out.join(''), 'internal error: x is undefined\n(run again with --verbose for the stack trace)\n');
  out.length = 0;
  const cause = new Error('inner');
  t.is(reportError(new Error('outer', { cause }), true, w), 2);
  t.regex(out.join(''), /^internal error: outer\n\nError: stack\n\s+at [^]*caused by Error: inner\n\s+at /);
  out.length = 0;
  t.is(reportError('a string', false, w), 2);
});

test('export: the architecture from --family/--width', (t) => {
  const defaults = { sgd: { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, granularity: 'batch' };
  t.deepEqual(exportTarget({ family: 'vgg19', out: 'g' }), { arch: vgg19(16), batchSize: 64, seed: 0, ...defaults });
  t.deepEqual(exportTarget({ family: 'mobilenetv1', out: 'g', batch: 8, seed: 3 }), { arch: mobilenetv1(32), batchSize: 8, seed: 3, ...defaults });
  const widths = Array.from({ length: 16 }, (_, i) => i + 1);
  const t2 = exportTarget({ family: 'vgg19', width: widths.join(','), input: '1,28,28', classes: 10, out: 'g' });
  t.deepEqual(t2.arch, vgg19(widths, [1, 28, 28], 10));
  t.deepEqual(parseWidths('16'), 16);
  t.deepEqual(parseShape('3, 32, 32'), [3, 32, 32]);
  t.throws(() => parseShape('3,32'), { instanceOf: UsageError, message: /--input must be C,H,W/ });
  t.throws(() => parseWidths('16,x'), { instanceOf: UsageError, message: /--width must be positive integers/ });
  t.throws(() => exportTarget({ family: 'vgg19', width: '4,4', out: 'g' }), { instanceOf: UsageError, message: /--family vgg19: vgg19 has 16 dense conv layers, but 2 widths were given/ });
  t.throws(() => exportTarget({ out: 'g' }), { instanceOf: UsageError, message: /give a CONFIG, or --family/ });
  t.throws(() => exportTarget({ family: 'vgg19', out: 'g', batch: 0 }), { instanceOf: UsageError, message: '--batch must be an integer >= 1, got 0' });
});

test('export: the architecture from a config', (t) => {
  const { write } = sandbox();
  const cfgFile = write('c.yaml', 'seed: 5\ndata:\n  dataset: cifar10\n  path: data/fm\nmodel:\n  width: 8\ntrain:\n  batch_size: 32\n  momentum: 0.5\n  nesterov: false\n  weight_decay: 0\ngrow:\n  granularity: sample\n');
  // the config's optimizer and growing settings reach the graphs (train.onnx's metadata, grow.onnx)
  t.deepEqual(exportTarget({ config: cfgFile, out: 'g' }), {
    arch: vgg19(8, [3, 32, 32], 10),
    batchSize: 32,
    seed: 5,
    sgd: { momentum: 0.5, nesterov: false, weightDecay: 0 },
    granularity: 'sample',
  });
  t.throws(() => exportTarget({ config: cfgFile, family: 'vgg19', out: 'g' }), { instanceOf: UsageError, message: /not both/ });
  const folder = write('f.yaml', 'data:\n  dataset: image-folder\n  path: data\n');
  t.throws(() => exportTarget({ config: folder, out: 'g' }), { instanceOf: UsageError, message: /give --input C,H,W and --classes K/ });
  t.deepEqual(exportTarget({ config: folder, out: 'g', input: '3,64,64', classes: 4 }).arch, vgg19(16, [3, 64, 64], 4));
});

test("export CONFIG: train.onnx carries the config's SGD settings and grow.onnx its granularity", (t) => {
  const { dir, write } = sandbox();
  const cfgFile = write('c.yaml', 'data:\n  dataset: cifar10\n  path: data/fm\nmodel:\n  width: 2\ntrain:\n  batch_size: 4\n  momentum: 0.5\ngrow:\n  granularity: sample\n');
  const out = path.join(dir, 'graphs');
  const written = exportGraphs({ ...exportTarget({ config: cfgFile, out }), outDir: out });
  t.deepEqual(written.map((f) => path.basename(f)), ['arch.json', 'train.onnx', 'eval.onnx', 'infer.onnx', 'grow.onnx']);
  const metadata = (file: string) => new Map(onnx.ModelProto.decode(fs.readFileSync(path.join(out, file))).metadataProps.map((p) => [p.key, p.value]));
  t.deepEqual(JSON.parse(metadata('train.onnx').get('nasgrow.sgd')!), { momentum: 0.5, nesterov: true, weightDecay: 1e-4 });
  t.is(metadata('grow.onnx').get('nasgrow.granularity'), 'sample');
  // what Netron's properties panel shows of every graph: kind, widths, parameter count, a doc string
  for (const kind of ['train', 'eval', 'infer', 'grow']) {
    const m = metadata(`${kind}.onnx`);
    t.is(m.get('nasgrow.kind'), kind);
    t.is(m.get('nasgrow.widths'), '2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2');
    t.is(m.get('nasgrow.parameters'), `${paramCount(vgg19(2, [3, 32, 32], 10))}`);
    const doc = onnx.ModelProto.decode(fs.readFileSync(path.join(out, `${kind}.onnx`))).docString;
    t.regex(doc, /^nasgrow \w+ (step|model) of vgg19 \(16 dense layers, widths 2,2,.*\n.*\nInputs?: .*/, kind);
  }
});

// export used to write arch.json and graphs into a run folder, over the run's own, without its lock
test('export refuses a run folder and a folder inside one, before writing anything', async (t) => {
  const { dir } = sandbox();
  const runDir = path.join(dir, 'runs', 'r');
  const manifest = { command: 'train' as const, nasgrow: '0', data: { train: 'a', test: 'b' }, arch: null };
  prepareRunFolder(runDir, { resume: false, configYaml: 'seed: 0\n', manifest }).lock.release();
  fs.mkdirSync(path.join(runDir, 'graphs'));
  const locked = path.join(dir, 'locked');
  fs.mkdirSync(locked);
  fs.writeFileSync(path.join(locked, '.lock'), '{}');
  const before = () => fs.readdirSync(dir, { recursive: true }).map(String).sort();
  const files = before();
  const sinkOut = { write: () => true };
  for (const [out, why] of [
    [runDir, `the export folder ${runDir} is a nasgrow run folder (it holds config.yaml)`],
    [path.join(runDir, 'graphs'), `the export folder ${path.join(runDir, 'graphs')} is inside the nasgrow run folder ${runDir} (it holds run.json)`],
    [locked, `the export folder ${locked} is a nasgrow run folder (it holds .lock)`],
  ]) {
    const err = await t.throwsAsync(runExport({ family: 'vgg19', width: '2', out }, sinkOut), { instanceOf: UsageError });
    t.is(err!.message, `${why}: export would write arch.json and .onnx files among the run's files; choose another --out`);
    const seeds = await t.throwsAsync(runExportSeeds({ out }, sinkOut), { instanceOf: UsageError });
    t.regex(seeds!.message, /is (a|inside the) nasgrow run folder/);
  }
  t.deepEqual(before(), files, 'a refused export wrote something');
  // through the CLI: exit 1
  const r = nasgrow(['export', '--family', 'vgg19', '--width', '2', '--out', runDir], dir);
  t.is(r.code, 1, r.stderr);
  t.regex(r.stderr, /^error: the export folder .* is a nasgrow run folder/);
  // another folder, also one beside a run, is fine
  await runExport({ family: 'vgg19', width: '2', out: path.join(dir, 'runs', 'graphs') }, sinkOut);
  t.true(fs.existsSync(path.join(dir, 'runs', 'graphs', 'infer.onnx')));
});

// --seed used to wrap above 2^32-1 (4294967296 gave seed 0's weights; 1e20 was taken) and was recorded nowhere
test('export --seed: an integer in the config seed range, recorded in infer.onnx', (t) => {
  for (const seed of [4294967296, 1e20, -1, 1.5, NaN]) {
    t.throws(() => exportTarget({ family: 'vgg19', out: 'g', seed }), { instanceOf: UsageError, message: `--seed must be an integer from 0 to 4294967295, got ${seed}` });
  }
  t.is(exportTarget({ family: 'vgg19', out: 'g', seed: 4294967295 }).seed, 4294967295);
  const { dir, write } = sandbox();
  const cfgFile = write('s.yaml', 'seed: 12\ndata:\n  dataset: cifar10\n  path: data/fm\nmodel:\n  width: 2\n');
  const metadata = (file: string) => new Map(onnx.ModelProto.decode(fs.readFileSync(file)).metadataProps.map((p) => [p.key, p.value]));
  for (const [args, seed] of [[{ family: 'vgg19' as const, width: '2', seed: 4294967295 }, '4294967295'], [{ config: cfgFile }, '12']] as const) {
    const out = fs.mkdtempSync(path.join(dir, 'g-'));
    exportGraphs({ ...exportTarget({ ...args, out }), outDir: out });
    t.is(metadata(path.join(out, 'infer.onnx')).get('nasgrow.init_seed'), seed);
  }
});

// --out with no value, or '', used to write the run into the working directory (output.dir '' is
// refused); a config named .yaml put its run into runs/ itself
test('an empty --out or --resume, and a config file name that gives no run folder name: exit 1, nothing written', (t) => {
  const { dir, write } = sandbox();
  write('c.yaml', 'data:\n  path: data/fm\n');
  write('.yaml', 'data:\n  path: data/fm\n');
  const before = fs.readdirSync(dir).sort();
  for (const [args, why] of [
    [['train', 'c.yaml', '--out'], /^error: Not enough arguments following: out\n/],
    [['run', 'c.yaml', '--out'], /^error: Not enough arguments following: out\n/],
    [['train', 'c.yaml', '--resume'], /^error: Not enough arguments following: resume\n/],
    [['train', 'c.yaml', '--out', ''], /^error: --out is empty: name the run folder/],
    [['run', 'c.yaml', '--out', ''], /^error: --out is empty: name the run folder/],
    [['train', 'c.yaml', '--resume', ''], /^error: --resume is empty: name the run folder/],
    [['export', '--family', 'vgg19', '--out', ''], /^error: --out is empty: name the folder/],
    [['export-seeds', '--out', ''], /^error: --out is empty: name the folder/],
    [['train', '.yaml'], /^error: \.yaml: output\.dir is not set, and the file name "\.yaml" gives no run folder name \(its default, runs\/<config name>, would be .*\/runs itself\): set output\.dir, give --out DIR, or rename the file\n$/],
    [['run', '.yaml'], /^error: \.yaml: output\.dir is not set, and the file name "\.yaml" gives no run folder name/],
    [['validate', '.yaml', '--no-data'], /^error: \.yaml: output\.dir is not set, and the file name "\.yaml" gives no run folder name/],
  ] as const) {
    const r = nasgrow([...args], dir);
    t.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, why, args.join(' '));
    t.notRegex(r.stderr, /--resume runs/);
  }
  t.deepEqual(fs.readdirSync(dir).sort(), before, 'a refused command wrote something');
  // a nameless config with its own output.dir is fine
  write('.yaml', 'data:\n  path: data/fm\noutput:\n  dir: runs/r\n');
  t.is(nasgrow(['validate', '.yaml', '--no-data'], dir).code, 0);
});

// data.cache_dir inside output.dir: validate wrote the cache, train then found its run folder "not
// empty", and --resume found no run folder there
test('data.cache_dir in the run folder is refused naming both keys, before anything is written', async (t) => {
  const { dir, write } = sandbox();
  const out = path.join(dir, 'runs', 'c');
  write('in.yaml', 'data:\n  path: data/fm\n  cache_dir: runs/c/cache\noutput:\n  dir: runs/c\n');
  write('same.yaml', 'data:\n  path: data/fm\n  cache_dir: runs/c\noutput:\n  dir: runs/c\n');
  write('beside.yaml', 'data:\n  path: data/fm\n  cache_dir: runs/.cache\n');
  // with images, which validate would decode into the cache before anything else
  for (const [i, where] of ['train/ant', 'train/bee', 'test/ant', 'test/bee'].entries()) await writePng(path.join(dir, 'img', where, '0.png'), i, 32, 32);
  write('img.yaml', 'data:\n  dataset: image-folder\n  path: img\n  cache_dir: runs/c/cache\noutput:\n  dir: runs/c\n');
  const advice = `, the run folder, which holds one run's files; the cache serves every run of the data: put it beside the run folders (e.g. ${path.join(dir, 'runs', '.cache')}), or set data.cache_dir to null\n`;
  for (const [args, message] of [
    [['validate', 'in.yaml', '--no-data'], `error: in.yaml: data.cache_dir ${out}/cache is inside output.dir ${out}${advice}`],
    [['validate', 'img.yaml'], `error: img.yaml: data.cache_dir ${out}/cache is inside output.dir ${out}${advice}`],
    [['train', 'in.yaml'], `error: in.yaml: data.cache_dir ${out}/cache is inside output.dir ${out}${advice}`],
    [['run', 'same.yaml'], `error: same.yaml: data.cache_dir ${out} is output.dir ${out}${advice}`],
    [['train', 'beside.yaml', '--out', 'runs'], `error: beside.yaml: data.cache_dir ${dir}/runs/.cache is inside output.dir ${dir}/runs (from --out)`],
    [['train', 'beside.yaml', '--resume', 'runs/.cache'], `error: beside.yaml: data.cache_dir ${dir}/runs/.cache is output.dir ${dir}/runs/.cache (from --resume)`],
  ] as const) {
    const r = nasgrow([...args], dir);
    t.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    t.true(r.stderr.startsWith(message), `${args.join(' ')}: ${r.stderr}`);
  }
  t.false(fs.existsSync(path.join(dir, 'runs')), 'a refused command wrote something');
  t.is(nasgrow(['validate', 'beside.yaml', '--no-data'], dir).code, 0);
});

test('resume: only the config the run started with (up to epochs and runtime)', (t) => {
  const { dir, write } = sandbox();
  const file = write('r.yaml', 'data:\n  path: data/fm\n');
  const runDir = path.join(dir, 'runs', 'r');
  const cfg = loadConfig(file, { overrides: [{ key: 'output.dir', value: runDir, origin: '--out' }] });
  prepareRunFolder(runDir, { resume: false, configYaml: renderConfigYaml(cfg, { relativeTo: runDir }) }).lock.release();
  t.notThrows(() => checkResumable(cfg, runDir));
  const longer = { ...cfg, train: { ...cfg.train, epochs: 50 }, runtime: { device: 'cuda' as const, threads: 8 } };
  t.notThrows(() => checkResumable(longer, runDir));
  const changed = { ...cfg, train: { ...cfg.train, lr: 0.2 }, model: { ...cfg.model, width: 32 } };
  const err = t.throws(() => checkResumable(changed, runDir), { instanceOf: UsageError });
  t.deepEqual(err!.message.split('\n').slice(0, 3), [
    `cannot resume ${runDir}: the config differs from the one the run started with`,
    '  model.width: 16 in the run, 32 now',
    '  train.lr: 0.1 in the run, 0.2 now',
  ]);
  t.regex(err!.message, /train\.lr may be lowered; start a new run with --out DIR instead$/);
  // the advice after a diverged run: resume at a lower learning rate, noted in the log
  t.deepEqual(checkResumable({ ...cfg, train: { ...cfg.train, lr: 0.01 } }, runDir), ['train.lr lowered from 0.1 to 0.01 on resume: the epochs from here on run at the lower rate']);
});

test('the training summary', (t) => {
  t.deepEqual(summaryLines({ epochs: 2, train: { loss: 0.5, accuracy: 0.8 }, test: { loss: 0.6, accuracy: 0.75 }, params: 123456, seconds: 12.34, checkpoint: '/r/checkpoints/e2' }), [
    'done: 2 epochs in the run, 123,456 parameters, 12.3 s in this session',
    '  train: loss 0.5000, accuracy 80.00%',
    '  test:  loss 0.6000, accuracy 75.00% (error 25.00%)',
    '  checkpoint: /r/checkpoints/e2',
  ]);
});
