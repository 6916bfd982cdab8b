// Every config shipped in configs/ is valid (paths aside: the paper's CIFAR-100 data is not here), and so
// is every point of every sweep file in sweeps/.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { loadConfig, loadSweepFile, sweepPoints } from '../../src/config';

import { ROOT } from '../helpers/root';
const files = ['configs', 'configs/paper', 'configs/study'].flatMap((d) =>
  fs.readdirSync(path.join(ROOT, d)).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, d, f)),
);

test('configs/ holds the quickstart, short-budget configs and one file per row of the paper tables', (t) => {
  t.true(files.some((f) => f.endsWith('quickstart.yaml')));
  t.is(files.filter((f) => /paper\/table1-/.test(f)).length, 5);
  t.is(files.filter((f) => /paper\/table2-/.test(f)).length, 5);
});

for (const file of files) {
  test(`${path.relative(ROOT, file)} is a valid config`, (t) => {
    const cfg = loadConfig(file, { checkPaths: false });
    // data.path is resolved against the config file's folder, not the working directory
    const written = (parseYaml(fs.readFileSync(file, 'utf8')) as { data: { path: string } }).data.path;
    t.is(cfg.data.path, path.resolve(path.dirname(file), written));
    // data inside the repository (the bundled sample) must be there; data elsewhere (../shared,
    // /usr/share/datasets, a CIFAR-100 download) depends on the machine
    if (cfg.data.path.startsWith(ROOT + path.sep)) {
      t.true(fs.existsSync(cfg.data.path), `${cfg.data.path} does not exist`);
      t.notThrows(() => loadConfig(file), 'with path checks on');
    }
    if (file.endsWith('quickstart.yaml')) t.is(cfg.data.path, path.join(ROOT, 'data', 'sample', 'fashion-mnist'));
    if (file.includes('/paper/')) {
      t.is(cfg.grow.cycles, 30);
      t.is(cfg.grow.phase_epochs, 20);
      t.deepEqual(cfg.train.milestones, [300, 450]);
    }
  });
}

const sweeps = fs.readdirSync(path.join(ROOT, 'sweeps', 'study')).filter((f) => f.endsWith('.yaml')).map((f) => path.join(ROOT, 'sweeps', 'study', f));

test('sweeps/study holds the study\'s sweeps', (t) => {
  t.deepEqual(sweeps.map((f) => path.basename(f)).sort(), ['mobilenetv1-baselines.yaml', 'mobilenetv1-full.yaml', 'mobilenetv1-gn.yaml', 'mobilenetv1-retrain12-grown.yaml', 'mobilenetv1-retrain12-uniform-macs.yaml', 'mobilenetv1-retrain12-uniform.yaml', 'mobilenetv1-tune.yaml', 'vgg19-baselines.yaml', 'vgg19-confirm-theta.yaml', 'vgg19-confirm.yaml', 'vgg19-gn.yaml', 'vgg19-retrain12-grown.yaml', 'vgg19-retrain12-uniform-macs.yaml', 'vgg19-retrain12-uniform.yaml', 'vgg19-tune-phases.yaml', 'vgg19-tune.yaml']);
});

for (const file of sweeps) {
  test(`${path.relative(ROOT, file)}: every point is a valid config`, (t) => {
    const sweep = loadSweepFile(file, ROOT);
    t.true(sweep.out.startsWith(path.join(ROOT, 'runs') + path.sep), 'a shipped sweep writes under runs/');
    const points = sweepPoints(sweep);
    t.true(points.length >= 4);
    for (const p of points) {
      const cfg = loadConfig(sweep.config, { checkPaths: false, overrides: Object.entries(p.values).map(([key, value]) => ({ key, value, origin: p.origins[key]! })) });
      t.is(cfg.seed, p.values.seed as number);
    }
  });
}
