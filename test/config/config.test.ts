// Config loading and validation: messages name the file, key path, value and expectation; defaults
// are filled; paths resolve relative to the config file.
import test from 'ava';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import {
  ConfigError,
  configReference,
  configStructure,
  diffConfigs,
  loadConfig,
  parseConfig,
  renderConfigYaml,
  resolveArch,
} from '../../src/config';
import { defaultOf, fieldsOf, unwrap } from '../../src/config/walk';
import { closestMatch, editDistance } from '../../src/config/suggest';
import { mobilenetv1, vgg19 } from '../../src/models/arch';
import { uniformMatch } from '../../src/models/params';
import { ROOT } from '../helpers/root';
import { tempDir } from '../helpers/temp-dir';

/** A fresh folder with data/fm (a stand-in dataset file) and a config writer. */
function sandbox() {
  const dir = tempDir('nasgrow-config-');
  fs.mkdirSync(path.join(dir, 'data'));
  fs.writeFileSync(path.join(dir, 'data', 'fm'), '');
  const write = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  return { dir, write };
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const minimal = 'data:\n  path: data/fm\n';

test('defaults are filled from a minimal config', (t) => {
  const { dir, write } = sandbox();
  const file = write('min.yaml', minimal);
  const cfg = loadConfig(file, { cwd: '/work/somewhere' });
  t.is(cfg.seed, 0);
  t.deepEqual(cfg.model, { family: 'vgg19', width: 16, arch: null, uniform_match: null });
  t.is(cfg.data.dataset, 'fashion-mnist');
  t.is(cfg.data.path, path.join(dir, 'data', 'fm'));
  t.deepEqual(cfg.data.augment, { crop: true, flip: true });
  t.is(cfg.data.normalize, 'auto');
  t.deepEqual(cfg.train, {
    epochs: 10,
    batch_size: 64,
    lr: 0.1,
    schedule: 'step',
    milestones: [300, 450],
    gamma: 0.1,
    momentum: 0.9,
    nesterov: true,
    weight_decay: 1e-4,
    eval_every: 1,
    checkpoint_every: 1,
  });
  t.deepEqual(cfg.runtime, { device: 'cpu', threads: 2 });
  t.is(cfg.output.dir, path.resolve('/work/somewhere', 'runs', 'min'));
  t.deepEqual(cfg.grow, {
    method: 'gauss-newton',
    reference: null,
    slimming_l1: 1e-4,
    slimming_width: null,
    steepest_scale: 0.1,
    target_params: null,
    cycles: 30,
    phase_epochs: 20,
    lambda_p: 3e-7,
    lambda_f: 0,
    top_fraction: 0.3,
    min_width: 1,
    theta_lr: 1e-2,
    theta_init_scale: 1e-2,
    ema_weight: 'auto',
    granularity: 'batch',
    estimate: 'final',
    theta_steps: null,
    theta_max_norm: null,
    final_batches: 20,
    uniform_baseline: false,
    retrain_epochs: null,
  });
});

test('defaults are copies: changing one config does not change the next', (t) => {
  const { write } = sandbox();
  const file = write('a.yaml', minimal);
  const a = loadConfig(file);
  a.train.milestones.push(999);
  t.deepEqual(loadConfig(file).train.milestones, [300, 450]);
});

test('every default satisfies its own type', (t) => {
  // (zod's .default() returns the default without parsing it)
  for (const { key, schema } of fieldsOf(configStructure)) {
    const d = defaultOf(schema);
    if (d.kind !== 'value') continue;
    const r = unwrap(schema).safeParse(d.value);
    t.true(r.success, `${key.join('.')}: default ${JSON.stringify(d.value)} fails its type`);
  }
});

test('unknown key: error with a did-you-mean suggestion', (t) => {
  const { write } = sandbox();
  const file = write('typo.yaml', minimal + 'train:\n  lrr: 0.05\n');
  const lines = problemsOf(() => loadConfig(file));
  t.deepEqual(lines, [`${file}: train.lrr is not a known key (did you mean train.lr?) (line 4)`]);
});

test('unknown key in the wrong section suggests where it belongs', (t) => {
  const { write } = sandbox();
  const file = write('misplaced.yaml', minimal + 'lr: 0.05\nmomentun: 0.5\n');
  const lines = problemsOf(() => loadConfig(file));
  t.is(lines[0], `${file}: lr is not a known key here (did you mean train.lr?) (line 3)`);
  t.is(lines[1], `${file}: momentun is not a known key here (did you mean train.momentum?) (line 4)`);
});

test('unknown key far from every known one lists the keys of its section', (t) => {
  const { write } = sandbox();
  const file = write('far.yaml', minimal + 'runtime:\n  zzzzzzzz: 1\n');
  const [line] = problemsOf(() => loadConfig(file));
  t.is(line, `${file}: runtime.zzzzzzzz is not a known key; the keys in runtime are: device, threads (line 4)`);
});

test('wrong type: names the file, key path, value and what is expected', (t) => {
  const { write } = sandbox();
  const file = write('x.yaml', minimal + 'train:\n  lr: fast\n');
  const [line] = problemsOf(() => loadConfig(file));
  t.is(line, `${file}: train.lr must be a number > 0, got "fast" (line 4)`);
});

test('wrong types of every kind', (t) => {
  const { write } = sandbox();
  const file = write(
    'kinds.yaml',
    [
      'seed: 1.5',
      'model:',
      '  family: vgg16',
      'data:',
      '  path: data/fm',
      '  augment: { crop: yes }',
      'train:',
      '  milestones: [10, ten]',
      '  schedule: [step]',
      'runtime: 4',
    ].join('\n') + '\n',
  );
  t.deepEqual(problemsOf(() => loadConfig(file)), [
    `${file}: seed must be an integer in [0, 4294967295], got 1.5 (line 1)`,
    `${file}: model.family must be one of vgg19, mobilenetv1, got "vgg16" (did you mean vgg19?) (line 3)`,
    `${file}: data.augment.crop must be true or false, got "yes" (line 6)`,
    `${file}: train.milestones[1] must be an integer >= 1, got "ten" (line 8)`,
    `${file}: train.schedule must be one of step, cosine, constant, got ["step"] (line 9)`,
    `${file}: runtime must be a mapping with the keys device, threads, got 4 (line 10)`,
  ]);
});

test('out of range values', (t) => {
  const { write } = sandbox();
  const file = write(
    'range.yaml',
    minimal + 'train:\n  batch_size: 0\n  momentum: 1.0\n  milestones: [450, 300]\ngrow:\n  top_fraction: 1.5\n  ema_weight: 0\n',
  );
  t.deepEqual(problemsOf(() => loadConfig(file)), [
    `${file}: train.batch_size must be an integer >= 1, got 0 (line 4)`,
    `${file}: train.momentum must be a number in [0, 1), got 1 (line 5)`,
    `${file}: train.milestones must be increasing, got [450, 300] (line 6)`,
    `${file}: grow.top_fraction must be a number in (0, 1], got 1.5 (line 8)`,
    `${file}: grow.ema_weight must be "auto" or a number in (0, 1], got 0 (line 9)`,
  ]);
});

test('a missing required key', (t) => {
  const { write } = sandbox();
  const file = write('nodata.yaml', 'seed: 3\n');
  t.deepEqual(problemsOf(() => loadConfig(file)), [`${file}: data.path is required (dataset file or folder, relative to the config file)`]);
});

test('a missing data file names the key and the resolved path', (t) => {
  const { dir, write } = sandbox();
  const file = write('missing.yaml', 'data:\n  dataset: cifar10\n  path: cifar-10-binary.tar.gz\n');
  const [line] = problemsOf(() => loadConfig(file));
  const resolved = path.join(dir, 'cifar-10-binary.tar.gz');
  t.is(line, `${file}: data.path points to ${resolved}, which does not exist (relative paths are resolved from the config file's folder, ${dir}) (line 3)`);
});

test('a missing architecture file', (t) => {
  const { dir, write } = sandbox();
  const file = write('arch.yaml', minimal + 'model:\n  arch: grown/arch.json\n');
  const [line] = problemsOf(() => loadConfig(file));
  t.true(line!.startsWith(`${file}: model.arch points to ${path.join(dir, 'grown', 'arch.json')}, which does not exist`), line);
  // a run folder named instead of its arch.json: the file it holds is suggested
  fs.mkdirSync(path.join(dir, 'run'));
  fs.writeFileSync(path.join(dir, 'run', 'arch.json'), '{}');
  const folder = write('folder.yaml', minimal + 'model:\n  arch: run\n');
  const [why] = problemsOf(() => loadConfig(folder));
  t.true(why!.startsWith(`${folder}: model.arch points to ${path.join(dir, 'run')}, which is a folder, not a file; did you mean ${path.join(dir, 'run', 'arch.json')}?`), why);
});

test('path checks can be turned off (re-reading a saved run config)', (t) => {
  const { dir, write } = sandbox();
  const file = write('gone.yaml', 'data:\n  path: gone/data\n');
  const cfg = loadConfig(file, { checkPaths: false });
  t.is(cfg.data.path, path.join(dir, 'gone', 'data'));
});

test('config file not found', (t) => {
  const [line] = problemsOf(() => loadConfig('/nonexistent/c.yaml'));
  t.is(line, '/nonexistent/c.yaml: config file not found (looked for /nonexistent/c.yaml)');
});

test('bad YAML syntax names the file and line', (t) => {
  const { write } = sandbox();
  const file = write('syntax.yaml', 'data:\n  path: data/fm\ntrain:\n  milestones: [300, 450\n  lr: 0.1\n');
  const [line] = problemsOf(() => loadConfig(file));
  t.regex(line!, new RegExp(`^${escape(file)}: invalid YAML at line \\d+, column \\d+: `));
  t.regex(line!, /line (4|5|6),/);
});

test('duplicate keys are a YAML error with their line', (t) => {
  const [line] = problemsOf(() => parseConfig('data:\n  path: /\ntrain:\n  lr: 0.1\n  lr: 0.2\n', 'dup.yaml'));
  t.is(line, 'dup.yaml: invalid YAML at line 5, column 3: Map keys must be unique');
});

test('width: one int, or a list with one entry per dense layer', (t) => {
  const { write } = sandbox();
  const vggList = Array.from({ length: 16 }, (_, i) => 8 + i);
  const ok = loadConfig(write('w16.yaml', minimal + `model:\n  width: [${vggList.join(', ')}]\n`));
  t.deepEqual(ok.model.width, vggList);
  const mb = loadConfig(write('mb.yaml', minimal + `model:\n  family: mobilenetv1\n  width: [${new Array(14).fill(32).join(', ')}]\n`));
  t.is((mb.model.width as number[]).length, 14);

  const file = write('w3.yaml', minimal + 'model:\n  width: [16, 16, 16]\n');
  t.deepEqual(problemsOf(() => loadConfig(file)), [`${file}: model.width has 3 entries, but vgg19 has 16 dense layers: give one integer, or a list of 16 (line 4)`]);
  const file2 = write('w16mb.yaml', minimal + `model:\n  family: mobilenetv1\n  width: [${vggList.join(', ')}]\n`);
  t.deepEqual(problemsOf(() => loadConfig(file2)), [`${file2}: model.width has 16 entries, but mobilenetv1 has 14 dense layers: give one integer, or a list of 14 (line 5)`]);
  const file3 = write('w0.yaml', minimal + 'model:\n  width: [16, 0]\n');
  t.deepEqual(problemsOf(() => loadConfig(file3)), [`${file3}: model.width[1] must be an integer >= 1, got 0 (line 4)`]);
});

test('paths resolve relative to the config file, not the working directory', (t) => {
  const { dir, write } = sandbox();
  const file = write('configs/deep/run.yaml', 'data:\n  path: ../../data/fm\n  cache_dir: cache\noutput:\n  dir: ../out\n');
  const cwd = process.cwd();
  process.chdir(os.tmpdir());
  try {
    const cfg = loadConfig(path.relative(os.tmpdir(), file));
    t.is(cfg.data.path, path.join(dir, 'data', 'fm'));
    t.is(cfg.data.cache_dir, path.join(dir, 'configs', 'deep', 'cache'));
    t.is(cfg.output.dir, path.join(dir, 'configs', 'out'));
  } finally {
    process.chdir(cwd);
  }
});

test('the default output folder is runs/<config name> in the working directory', (t) => {
  const { write } = sandbox();
  const cfg = loadConfig(write('configs/vgg19-c10.yml', 'data:\n  path: ../data/fm\n'), { cwd: '/tmp/w' });
  t.is(cfg.output.dir, '/tmp/w/runs/vgg19-c10');
});

test('command-line overrides are validated and name the flag', (t) => {
  const { write } = sandbox();
  const file = write('o.yaml', minimal + 'train:\n  epochs: 3\n');
  const cfg = loadConfig(file, { overrides: [{ key: 'train.epochs', value: 7, origin: '--epochs' }] });
  t.is(cfg.train.epochs, 7);
  t.deepEqual(problemsOf(() => loadConfig(file, { overrides: [{ key: 'runtime.threads', value: 0, origin: '--threads' }] })), [
    '--threads: runtime.threads must be an integer in [1, 1024], got 0',
  ]);
  t.throws(() => loadConfig(file, { overrides: [{ key: 'train.nope', value: 1, origin: '--nope' }] }), { message: /internal/ });
});

test('cross-key checks: normalize channels, classes, nesterov', (t) => {
  const { write } = sandbox();
  const file = write(
    'cross.yaml',
    'data:\n  dataset: cifar10\n  path: data/fm\n  normalize: [[0.5], [0.25]]\n  classes: [a, b]\ntrain:\n  momentum: 0\n',
  );
  t.deepEqual(problemsOf(() => loadConfig(file)), [
    `${file}: data.normalize has 1 channel(s), but cifar10 images have 3 (line 4)`,
    `${file}: data.classes is only used with dataset image-folder (dataset is cifar10) (line 5)`,
    `${file}: train.nesterov needs train.momentum > 0 (set nesterov: false or a momentum)`,
  ]);
  const ok = loadConfig(write('norm.yaml', 'data:\n  dataset: cifar10\n  path: data/fm\n  normalize: [[0.49, 0.48, 0.45], [0.25, 0.24, 0.26]]\n'));
  t.deepEqual(ok.data.normalize, [
    [0.49, 0.48, 0.45],
    [0.25, 0.24, 0.26],
  ]);
});

test('data.channels: image-folder only; its channel count is what an explicit normalize must match', (t) => {
  const { write } = sandbox();
  fs.mkdirSync(path.join(path.dirname(write('x', '')), 'folder'));
  const folder = 'data:\n  dataset: image-folder\n  path: folder\n';
  t.is(loadConfig(write('d.yaml', folder)).data.channels, null);
  // a greyscale folder with a one-channel normalize: refused (images read as RGB) unless channels: 1
  const grey = write('g.yaml', folder + '  normalize: [[0.5], [0.25]]\n');
  t.deepEqual(problemsOf(() => loadConfig(grey)), [
    `${grey}: data.normalize has 1 channel(s), but the image folder is read with 3 (data.channels null: RGB): give 3 means and 3 stds, or set data.channels: 1 to read the images as greyscale (line 4)`,
  ]);
  const ok = loadConfig(write('g1.yaml', folder + '  channels: 1\n  normalize: [[0.5], [0.25]]\n'));
  t.is(ok.data.channels, 1);
  t.notThrows(() => loadConfig(write('g3.yaml', folder + '  channels: 3\n  normalize: [[0.5, 0.5, 0.5], [0.25, 0.25, 0.25]]\n')));
  const rgb = write('r1.yaml', folder + '  channels: 1\n  normalize: [[0.5, 0.5, 0.5], [0.25, 0.25, 0.25]]\n');
  t.deepEqual(problemsOf(() => loadConfig(rgb)), [
    `${rgb}: data.normalize has 3 channel(s), but the image folder is read with 1: give 1 means and 1 stds, or set data.channels: 3 to read the images as RGB (line 5)`,
  ]);
  const two = write('c2.yaml', folder + '  channels: 2\n');
  t.deepEqual(problemsOf(() => loadConfig(two)), [`${two}: data.channels must be one of 1, 3, got 2 (line 4)`]);
  const mnist = write('m.yaml', minimal + '  channels: 1\n');
  t.deepEqual(problemsOf(() => loadConfig(mnist)), [`${mnist}: data.channels is only used with dataset image-folder (fashion-mnist images have 1): leave it out (line 3)`]);
});

test('architecture files: loaded, validated and checked against the dataset', (t) => {
  const { write } = sandbox();
  const arch = vgg19(8, [1, 28, 28], 10);
  write('arch.json', JSON.stringify(arch));
  const cfg = loadConfig(write('a.yaml', minimal + 'model:\n  arch: arch.json\n'));
  t.deepEqual(resolveArch(cfg), arch);

  write('c10.json', JSON.stringify(vgg19(8)));
  const file = write('b.yaml', minimal + 'model:\n  arch: c10.json\n');
  const [line] = problemsOf(() => loadConfig(file));
  t.regex(line!, /model\.arch does not fit fashion-mnist: the architecture takes 3x32x32 inputs and 10 classes, but the data has 1x28x28 images and 10 classes \(line 4\)$/);

  write('broken.json', JSON.stringify({ ...arch, layers: [{ ...arch.layers[0], width: 0 }] }));
  const file2 = write('c.yaml', minimal + 'model:\n  arch: broken.json\n');
  t.regex(problemsOf(() => loadConfig(file2))[0]!, /model\.arch is not a usable architecture file: .*broken\.json: architecture layer 0 \(conv1\) width must be a positive integer, got 0/);
});

test('model.uniform_match: the uniform control of model.arch, matched by parameters or MACs; without model.arch an error naming the key', (t) => {
  const { write } = sandbox();
  const grown = vgg19([9, 9, 7, 11, 11, 13, 18, 13, 17, 18, 16, 13, 12, 9, 7, 40], [1, 28, 28], 10);
  write('grown.json', JSON.stringify(grown));
  const by = (match: string) => resolveArch(loadConfig(write(`${match}.yaml`, minimal + `model:\n  arch: grown.json\n  uniform_match: ${match}\n`)));
  t.deepEqual(by('params'), uniformMatch(grown, 'params'));
  t.deepEqual(by('macs'), uniformMatch(grown, 'macs'));
  // a wide last layer costs parameters but few MACs (1x1 feature maps): the two controls differ
  t.true(by('macs').layers[0]!.width < by('params').layers[0]!.width);
  t.deepEqual(resolveArch(loadConfig(write('none.yaml', minimal + 'model:\n  arch: grown.json\n'))), grown);

  const [line] = problemsOf(() => loadConfig(write('alone.yaml', minimal + 'model:\n  width: 8\n  uniform_match: macs\n')));
  t.regex(line!, /model\.uniform_match matches the architecture in model\.arch, which is not set: name the arch\.json to match/);
  t.regex(problemsOf(() => loadConfig(write('flops.yaml', minimal + 'model:\n  arch: grown.json\n  uniform_match: flops\n')))[0]!, /model\.uniform_match/);
});

test('resolveArch builds the seed for the dataset', (t) => {
  const { write } = sandbox();
  const cfg = loadConfig(write('m.yaml', 'data:\n  dataset: cifar100\n  path: data/fm\nmodel:\n  family: mobilenetv1\n  width: 32\n'));
  t.deepEqual(resolveArch(cfg), mobilenetv1(32, [3, 32, 32], 100));
  const folder = loadConfig(write('f.yaml', 'data:\n  dataset: image-folder\n  path: data\n'));
  t.throws(() => resolveArch(folder), { message: /image shape/ });
  t.deepEqual(resolveArch(folder, { inputShape: [3, 64, 64], classes: 5 }), vgg19(16, [3, 64, 64], 5));
});

test('image-folder data must be a folder or a .tar, .tgz or .tar.gz archive', (t) => {
  const { dir, write } = sandbox();
  const file = write('if.yaml', 'data:\n  dataset: image-folder\n  path: data/fm\n');
  t.regex(problemsOf(() => loadConfig(file))[0]!, /data\.path points to .*data\/fm, which is neither a folder nor a \.tar, \.tgz or \.tar\.gz archive/);
  for (const name of ['shapes.tar', 'shapes.tgz', 'shapes.tar.gz', 'SHAPES.TAR.GZ']) {
    fs.writeFileSync(path.join(dir, 'data', name), '');
    const cfg = loadConfig(write(`${name}.yaml`, `data:\n  dataset: image-folder\n  path: data/${name}\n`));
    t.is(cfg.data.path, path.join(dir, 'data', name));
  }
});

test('the rendered YAML loads back to the same config', (t) => {
  const { dir, write } = sandbox();
  const file2 = write('full2.yaml', 'model:\n  width: [' + new Array(16).fill(4).join(',') + ']\ndata:\n  path: data/fm\n  limit_train: 100\n');
  const cfg = loadConfig(file2);
  const runDir = path.join(dir, 'runs', 'full2');
  const text = renderConfigYaml(cfg, { relativeTo: runDir, header: ['a header'] });
  t.true(text.startsWith('# a header\n'));
  t.is((parseYaml(text) as { data: { path: string } }).data.path, '../../data/fm');
  fs.mkdirSync(runDir, { recursive: true });
  const again = parseConfig(text, path.join(runDir, 'config.yaml'), { cwd: '/elsewhere' });
  t.deepEqual(again, cfg);
  t.deepEqual(diffConfigs(cfg, again), []);
});

test('diffConfigs lists changed keys with both values', (t) => {
  const { write } = sandbox();
  const a = loadConfig(write('d1.yaml', minimal));
  const b = loadConfig(write('d1.yaml', minimal + 'train:\n  lr: 0.05\n'));
  t.deepEqual(diffConfigs(a, b), [{ key: 'train.lr', before: 0.1, after: 0.05 }]);
});

test('the Markdown reference lists every key with type, default and doc', (t) => {
  const md = configReference();
  const lines = md.trim().split('\n');
  t.is(lines[0], '| Key | Type | Default | Description |');
  for (const { key } of fieldsOf(configStructure)) t.true(md.includes(`| \`${key.join('.')}\` |`), key.join('.'));
  t.true(md.includes('| `train.lr` | number > 0 | `0.1` | initial learning rate |'));
  t.true(md.includes('| `data.path` | path (existing file or directory) | *required* |'));
  t.true(md.includes('| `model.family` | vgg19 \\| mobilenetv1 | `vgg19` |'));
  for (const l of lines) t.is(l.split(/(?<!\\)\|/).length, 6, l);
});

test('a list inside a union is explained item by item; a scalar names every member', (t) => {
  const { write } = sandbox();
  const file = write('u.yaml', minimal + 'model:\n  width: [a]\n');
  t.deepEqual(problemsOf(() => loadConfig(file)), [`${file}: model.width[0] must be an integer >= 1, got "a" (line 4)`]);
  const file2 = write('u2.yaml', minimal + 'model:\n  width: []\n');
  t.deepEqual(problemsOf(() => loadConfig(file2)), [`${file2}: model.width must have at least 1 item, got [] (line 4)`]);
  const file3 = write('u3.yaml', minimal + 'model:\n  width: 0\n');
  t.deepEqual(problemsOf(() => loadConfig(file3)), [`${file3}: model.width must be an integer >= 1 or a list of integers >= 1, got 0 (line 4)`]);
});

test('normalize: a wrong structure is named as a whole, a bad number by its place', (t) => {
  const { write } = sandbox();
  const file = write('n1.yaml', minimal + '  normalize: [1, [2]]\n');
  t.deepEqual(problemsOf(() => loadConfig(file)), [
    `${file}: data.normalize must be a pair of lists [[means], [stds]], one number per channel, got [1, [2]] (line 3)`,
  ]);
  const file2 = write('n2.yaml', minimal + '  normalize: [[0.5], [0]]\n');
  t.deepEqual(problemsOf(() => loadConfig(file2)), [`${file2}: data.normalize[1][0] must be a number > 0, got 0 (line 3)`]);
  const file3 = write('n3.yaml', minimal + '  normalize: [[0.5, 0.5], [1]]\n');
  t.deepEqual(problemsOf(() => loadConfig(file3)), [`${file3}: data.normalize must have as many stds as means (one per channel), got [[0.5, 0.5], [1]] (line 3)`]);
});

test('normalize: values that make inputs infinite or enormous, or are in 0..255 units, are refused naming the unit', (t) => {
  const { write } = sandbox();
  const units = 'data.normalize is in units of pixel values scaled to [0, 1]';
  const cases: [string, RegExp][] = [
    // the adversarial tester's two: the loss was NaN at once and the lr was blamed
    ['[[0.5], [1.0e-300]]', /^data\.normalize\[1\]\[0\] is a std of 1e-300, below 1e-6, which is no channel's std: the normalised inputs \(pixel − mean\) \/ std would be infinite in float32, and the loss NaN/],
    ['[[1.0e+300], [1]]', /^data\.normalize\[0\]\[0\] is a mean of 1e\+300, outside \[0, 1\]/],
    ['[[0.5, 0.5, 0.5], [0.25, 1.0e-8, 0.25]]', /^data\.normalize\[1\]\[1\] is a std of 1e-8, below 1e-6, which is no channel's std: the normalised inputs \(pixel − mean\) \/ std would reach ±5\.00e\+7/],
    // ImageNet's values in 0..255 units
    ['[[123.7, 116.3, 103.5], [0.2, 0.2, 0.2]]', /^data\.normalize\[0\]\[0\] is a mean of 123\.7, outside \[0, 1\]: .*values in 0\.\.255 units must be divided by 255/],
    ['[[0.5], [58.4]]', /^data\.normalize\[1\]\[0\] is a std of 58\.4, above 1: .*whose std is at most 0\.5 \(values in 0\.\.255 units must be divided by 255\)/],
    ['[[-0.1], [0.25]]', /^data\.normalize\[0\]\[0\] is a mean of -0\.1, outside \[0, 1\]/],
  ];
  for (const [value, problem] of cases) {
    const file = write('nv.yaml', minimal + `  normalize: ${value}\n`);
    const problems = problemsOf(() => loadConfig(file));
    t.is(problems.length, 1, problems.join('\n'));
    t.true(problems[0].startsWith(`${file}: `), problems[0]);
    t.regex(problems[0].slice(file.length + 2), problem);
    t.true(problems[0].includes(units), problems[0]);
  }
  // the bounds themselves are fine
  for (const value of ['[[0], [1.0e-6]]', '[[1], [1]]', '[[0.2860], [0.3530]]']) {
    t.notThrows(() => loadConfig(write('ok.yaml', minimal + `  normalize: ${value}\n`)), value);
  }
});

test('empty sections and an empty file take the defaults', (t) => {
  const { write } = sandbox();
  const cfg = loadConfig(write('e.yaml', minimal + 'train:\ngrow: {}\n'));
  t.is(cfg.train.epochs, 10);
  t.is(cfg.grow.cycles, 30);
  const file = write('empty.yaml', '');
  t.deepEqual(problemsOf(() => loadConfig(file)), [`${file}: data.path is required (dataset file or folder, relative to the config file)`]);
});

test('problems on one line come in column order; a key spelt with dots in the file is the file\'s', (t) => {
  const { write } = sandbox();
  const file = write('flow.yaml', minimal + 'train: { lr: fast, lrr: 1 }\ndata.path: x\n');
  t.deepEqual(problemsOf(() => loadConfig(file, { overrides: [{ key: 'data.path', value: 'data/fm', origin: '--data' }] })), [
    `${file}: train.lr must be a number > 0, got "fast" (line 3)`,
    `${file}: train.lrr is not a known key (did you mean train.lr?) (line 3)`,
    `${file}: data.path is not a known key: write it nested, as "data: { path: ... }" (line 4)`,
  ]);
});

test("README's config reference is the generated table", (t) => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const intro = 'The full reference (`nasgrow config-reference`):\n';
  const start = readme.indexOf(intro);
  const end = readme.indexOf('\n## The run folder', start);
  t.true(start >= 0 && end > start, 'README has the reference section');
  t.is(readme.slice(start + intro.length, end).trim(), configReference().trim(), 'regenerate it with `node dist/src/cli/main.js config-reference`');
});

test('edit distance and suggestions', (t) => {
  t.is(editDistance('kitten', 'sitting'), 3);
  t.is(editDistance('', 'abc'), 3);
  t.is(closestMatch('lrr', ['lr', 'gamma']), 'lr');
  t.is(closestMatch('batchsize', ['batch_size', 'epochs']), 'batch_size');
  t.is(closestMatch('limit-train', ['limit_train']), 'limit_train');
  t.is(closestMatch('xyz', ['batch_size', 'epochs']), null);
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
