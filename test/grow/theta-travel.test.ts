// How far θ may travel (grow.theta_max_norm) and which images θ learning never sees (grow.final_batches).
import { param } from '../../src/models/names';
import test from 'ava';
import { vgg19 } from '../../src/models/arch';
import { freshModelState } from '../../src/models/state';
import { initTheta } from '../../src/grow/theta';
import { capTheta } from '../../src/grow/phases';
import * as path from 'path';
import { BatchLoader, channelStats, loadDataset } from '../../src/data';
import { growData, heldOutIndices } from '../../src/grow/grow-data';

const norm = (a: Float32Array, from: number, to: number) => Math.sqrt(a.subarray(from, to).reduce((s, v) => s + v * v, 0));

test('capTheta scales exactly the rows with ‖θ_c‖ > κ‖w_in[c]‖ back onto the ball, and leaves the rest alone', (t) => {
  const model = freshModelState(vgg19(4, [1, 28, 28]), 0);
  const theta = initTheta(model.arch, model.params, 1, 0, 0);
  // make row 0 of every layer long and row 1 short
  for (const layer of model.arch.layers) {
    const th = theta.theta.get(layer.name)!;
    const len = th.length / layer.width;
    for (let k = 0; k < len; k++) {
      th[k]! *= 10;
      th[len + k]! *= 0.01;
    }
  }
  const before = new Map([...theta.theta].map(([k, v]) => [k, Float32Array.from(v)]));
  capTheta(theta, model, 0.5);
  for (const layer of model.arch.layers) {
    const th = theta.theta.get(layer.name)!;
    const w = model.params.get(param.convWeight(layer.name))!;
    const len = th.length / layer.width;
    for (let c = 0; c < layer.width; c++) {
      const limit = 0.5 * norm(w, c * len, (c + 1) * len);
      const was = norm(before.get(layer.name)!, c * len, (c + 1) * len);
      const now = norm(th, c * len, (c + 1) * len);
      if (was > limit) t.true(Math.abs(now - limit) <= 1e-5 * limit, `${layer.name}[${c}] ${now} vs ${limit}`);
      else t.deepEqual(th.subarray(c * len, (c + 1) * len), before.get(layer.name)!.subarray(c * len, (c + 1) * len));
    }
    t.true(norm(before.get(layer.name)!, 0, len) > 0.5 * norm(w, 0, len), 'the test made row 0 exceed the cap');
  }
});

test('held-out indices: the requested count, distinct, sorted, in range, and the same for the same seed', (t) => {
  const a = heldOutIndices(1000, 96, 3);
  t.is(a.length, 96);
  t.is(new Set(a).size, 96);
  t.true(a.every((v, i) => v < 1000 && (i === 0 || a[i - 1]! < v)));
  t.deepEqual(a, heldOutIndices(1000, 96, 3));
  t.notDeepEqual(a, heldOutIndices(1000, 96, 4));
});

test('held-out batches mix the classes even when the dataset is stored by class (image folders)', async (t) => {
  // the CIFAR-10 sample loads class by class; unshuffled held-out batches would hold one or two classes
  const train = await loadDataset({ kind: 'cifar10', path: path.join(__dirname, '..', '..', '..', 'data', 'sample', 'cifar10'), split: 'train', cacheDir: false });
  t.is(train.labels[0], train.labels[100], 'the sample is expected to be stored by class');
  const normalization = channelStats(train);
  const trainLoader = new BatchLoader(train, { batchSize: 32, shuffle: true, dropLast: true, normalization, seed: 0 });
  const g = growData({ train, test: train, normalization, trainLoader, testLoader: trainLoader, close: async () => {} }, 32, 4, 0);
  t.is(g.heldOut, 128);
  t.is(g.growLoader.size + g.heldOut, train.n);
  for await (const b of g.heldOutLoader!.epoch('final-pass', 7)) t.true(new Set(b.labels).size >= 5, `batch ${b.index}: labels ${[...new Set(b.labels)]}`);
  await g.close();
});
