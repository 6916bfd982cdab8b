// The network the ranking check (test/grow/ranking.test.ts) and bench/split-dz.ts study: a seed briefly
// trained (one epoch, lr 0.05) on 2048 images of the bundled Fashion-MNIST sample, and the loader whose
// later epochs give the batches estimates and truths are measured on. Estimates of a random network
// say little.
import * as path from 'path';
import { ArchState } from '../../src/models/arch';
import { Engine } from '../../src/train/engine';
import { freshModelState, ModelState } from '../../src/models/state';
import { BatchLoader, channelStats, loadDataset } from '../../src/data';
import { ROOT } from './root';

export async function brieflyTrained(arch: ArchState, batch: number): Promise<{ state: ModelState; loader: BatchLoader }> {
  const train = await loadDataset({ kind: 'fashion-mnist', path: path.join(ROOT, 'data', 'sample', 'fashion-mnist'), split: 'train', limit: 2048 });
  const loader = new BatchLoader(train, { batchSize: batch, shuffle: true, dropLast: true, normalization: channelStats(train), seed: 1 });
  const state = freshModelState(arch, 2);
  const engine = await Engine.create(arch, batch, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, { device: 'cpu', threads: 2 });
  for (const b of loader.batches('train', 0)) await engine.trainStep(state, b.images, b.labels, 0.05);
  await engine.release();
  return { state, loader };
}
