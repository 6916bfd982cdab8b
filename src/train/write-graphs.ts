// Writes the graphs of one architecture state: train.onnx, eval.onnx, infer.onnx (+ arch.json), and
// with `grow` the growing step grow.onnx.
import * as fs from 'fs';
import * as path from 'path';
import { writeModel } from '../onnx/writer';
import { buildEvalGraph, buildInferenceGraph, buildTrainGraph, SgdHyper } from './graphs';
import { ModelState } from './model-state';
import type { Normalization } from '../data';
import { buildGrowGraph, Granularity } from '../grow/graph';

export function writeArchGraphs(
  dir: string,
  state: ModelState,
  batchSize: number,
  hyper: SgdHyper,
  normalization?: Normalization,
  grow?: { granularity: Granularity },
): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const files = {
    arch: path.join(dir, 'arch.json'),
    train: path.join(dir, 'train.onnx'),
    eval: path.join(dir, 'eval.onnx'),
    infer: path.join(dir, 'infer.onnx'),
  };
  fs.writeFileSync(files.arch, JSON.stringify(state.arch, null, 2) + '\n');
  writeModel(buildTrainGraph(state.arch, batchSize, hyper), files.train);
  writeModel(buildEvalGraph(state.arch), files.eval);
  writeModel(buildInferenceGraph(state.arch, state.params, normalization), files.infer);
  if (!grow) return Object.values(files);
  const growFile = path.join(dir, 'grow.onnx');
  writeModel(buildGrowGraph(state.arch, batchSize, grow), growFile);
  return [...Object.values(files), growFile];
}
