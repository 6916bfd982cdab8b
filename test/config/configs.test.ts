// Every config shipped in configs/ is valid (paths aside: the paper's CIFAR-100 data is not here).
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { loadConfig } from '../../src/config';

import { ROOT } from '../helpers/root';
const files = ['configs', 'configs/paper'].flatMap((d) =>
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
    t.truthy(cfg.data.path);
    if (file.includes('/paper/')) {
      t.is(cfg.grow.cycles, 30);
      t.is(cfg.grow.phase_epochs, 20);
      t.deepEqual(cfg.train.milestones, [300, 450]);
    }
  });
}
