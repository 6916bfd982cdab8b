// Writes the graphs of one architecture state that training uses: train.onnx (the SGD step),
// eval.onnx (running-statistics evaluation) and infer.onnx (standalone, with the state's weights),
// beside arch.json. The growing step's graph is written by src/grow/graph.ts (writeGrowGraph).
import * as path from 'path';
import type { Normalization } from '../data';
import type { ModelState } from '../models/state';
import { writeModel } from '../onnx/writer';
import { writeJsonFile } from '../util/atomic-write';
import { buildEvalGraph, buildInferenceGraph, buildTrainGraph } from './graphs';
import type { SgdHyper } from './optimizer';

/**
 * Write arch.json, train.onnx (batch `batchSize`, SGD `hyper`), eval.onnx and infer.onnx (the weights
 * of `state`, with `normalization` in its metadata) into `dir`, created when missing.
 * Returns the paths written, in that order.
 */
export function writeArchGraphs(dir: string, state: ModelState, batchSize: number, hyper: SgdHyper, normalization?: Normalization): string[] {
  const files = {
    arch: path.join(dir, 'arch.json'),
    train: path.join(dir, 'train.onnx'),
    eval: path.join(dir, 'eval.onnx'),
    infer: path.join(dir, 'infer.onnx'),
  };
  writeJsonFile(files.arch, state.arch);
  writeModel(buildTrainGraph(state.arch, batchSize, hyper), files.train);
  writeModel(buildEvalGraph(state.arch), files.eval);
  writeModel(buildInferenceGraph(state.arch, state.params, normalization), files.infer);
  return Object.values(files);
}
