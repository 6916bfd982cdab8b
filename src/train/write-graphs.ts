// Writes the graphs of one architecture state that training uses: train.onnx (the SGD step) and
// eval.onnx (running-statistics evaluation) beside arch.json, and infer.onnx (standalone, with a
// state's weights) once there are weights worth keeping. The growing step's graph is written by
// src/grow/graph.ts (writeGrowGraph).
import * as path from 'path';
import type { Normalization } from '../data';
import type { ArchState } from '../models/arch';
import type { ModelState } from '../models/state';
import { writeModel } from '../onnx/writer';
import { buildEvalGraph, buildInferenceGraph, buildTrainGraph } from './graphs';
import type { SgdHyper } from './optimizer';

/**
 * Write train.onnx (batch `batchSize`, SGD `hyper`) and eval.onnx of `arch` into `dir`, created when
 * missing (the architecture itself is in both graphs' metadata; callers write arch.json where a folder
 * needs it). Returns the paths written, in that order.
 */
export function writeArchGraphs(dir: string, arch: ArchState, batchSize: number, hyper: SgdHyper): string[] {
  const files = { train: path.join(dir, 'train.onnx'), eval: path.join(dir, 'eval.onnx') };
  // The training step as one function per layer part, so that Netron draws tens of nodes instead of
  // thousands; evaluation is one forward pass, readable op by op, and stays flat.
  writeModel(buildTrainGraph(arch, batchSize, hyper), files.train, { functions: true });
  writeModel(buildEvalGraph(arch), files.eval);
  return Object.values(files);
}

/**
 * Write `<dir>/infer.onnx`: the standalone inference model with `state`'s weights, `normalization` and
 * the class names in label order in its metadata. Returns its path. Written flat (no functions): a
 * forward pass reads op by op, and tools other than ONNX Runtime need not support functions.
 */
export function writeInferenceGraph(dir: string, state: ModelState, normalization?: Normalization, classNames?: readonly string[]): string {
  const file = path.join(dir, 'infer.onnx');
  writeModel(buildInferenceGraph(state.arch, state.params, normalization, classNames), file);
  return file;
}
