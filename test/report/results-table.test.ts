// `nasgrow table`'s rows (src/report/results-table.ts): a group of runs becomes one row whose seeds and
// folders read in seed order, whatever order the folders were found in.
import test from 'ava';
import { RunResult, groupRow } from '../../src/report/results-table';

const result = (seed: number, testError: number): RunResult => ({
  dir: `/sweep/seed-${seed}`,
  seed,
  dataset: 'cifar10',
  datasetLabel: 'CIFAR-10',
  family: 'vgg19',
  width: 16,
  lambdaP: 1e-5,
  method: 'gauss-newton',
  testError,
  params: 30_000,
  mmacPerImage: 5,
  wallSeconds: 60,
  hardware: 'test machine',
  gpu: false,
  budgetEpochs: 12,
  budget: '2×(2+2) + 4',
});

test('a row lists its seeds and folders in seed order (seed-10 after seed-2), with the mean of its errors', (t) => {
  // the order a directory listing gives: seed-0, seed-1, seed-10, seed-2
  const row = groupRow([result(0, 0.5), result(1, 0.6), result(10, 0.7), result(2, 0.4)]);
  t.deepEqual(row.seeds, [0, 1, 2, 10]);
  t.deepEqual(row.runs, ['/sweep/seed-0', '/sweep/seed-1', '/sweep/seed-2', '/sweep/seed-10']);
  t.true(typeof row.errorPct !== 'string' && Math.abs(row.errorPct.mean - 55) < 1e-9);
});
