// Writes the graphs of one architecture state that training uses: train.onnx (the SGD step) and
// eval.onnx (running-statistics evaluation) beside arch.json, and infer.onnx (standalone, with a
// state's weights) once there are weights worth keeping. The growing step's graph is written by
// src/grow/graph.ts (writeGrowGraph).
import * as path from 'path';
import type { Normalization } from '../data';
import type { ArchState } from '../models/arch';
import type { ModelState } from '../models/state';
import type { Graph } from '../onnx/ir';
import { writeModel } from '../onnx/writer';
import { buildEvalGraph, buildInferenceGraph, buildTrainGraph } from './graphs';
import type { SgdHyper } from './optimizer';

/** Where in a growing run a state's graphs belong: a cycle's phase (phases/phase-NN), or a stage after the cycles. */
export type RunPlace = { phase: number; cycles: number } | { stage: 'retrain' | 'uniform-baseline' };

/**
 * `g` with `place` in its metadata (`nasgrow.phase`: the phase number or the stage; `nasgrow.cycle`:
 * `3 of 30`) and a last line of its doc string saying so; `g` unchanged without a place.
 */
export function placed(g: Graph, place?: RunPlace): Graph {
  if (!place) return g;
  if ('phase' in place) {
    g.metadata.set('nasgrow.phase', `${place.phase}`);
    g.metadata.set('nasgrow.cycle', `${place.phase} of ${place.cycles}`);
    g.doc += `\nWritten for phase ${place.phase} of a growing run (cycle ${place.phase} of ${place.cycles}: a training phase, then a growing phase).`;
  } else {
    g.metadata.set('nasgrow.phase', place.stage);
    g.doc += `\nWritten for the ${place.stage === 'retrain' ? 'retraining of the found architecture from scratch' : 'uniform-width baseline trained from scratch'}, after the cycles of a growing run.`;
  }
  return g;
}

/**
 * Write train.onnx (batch `batchSize`, SGD `hyper`) and eval.onnx of `arch` into `dir`, created when
 * missing (the architecture itself is in both graphs' metadata, with `place` in a growing run; callers
 * write arch.json where a folder needs it). Returns the paths written, in that order.
 */
export function writeArchGraphs(dir: string, arch: ArchState, batchSize: number, hyper: SgdHyper, place?: RunPlace): string[] {
  const files = { train: path.join(dir, 'train.onnx'), eval: path.join(dir, 'eval.onnx') };
  // The training step as one function per layer part, so that Netron draws tens of nodes instead of
  // thousands; evaluation is one forward pass, readable op by op, and stays flat.
  writeModel(placed(buildTrainGraph(arch, batchSize, hyper), place), files.train, { functions: true });
  writeModel(placed(buildEvalGraph(arch), place), files.eval);
  return Object.values(files);
}

/**
 * Write `<dir>/infer.onnx`: the standalone inference model with `state`'s weights, `normalization` and
 * the class names in label order in its metadata (and `place` in a growing run). Returns its path. Written flat (no functions): a
 * forward pass reads op by op, and tools other than ONNX Runtime need not support functions.
 */
export function writeInferenceGraph(dir: string, state: ModelState, normalization?: Normalization, classNames?: readonly string[], place?: RunPlace): string {
  const file = path.join(dir, 'infer.onnx');
  writeModel(placed(buildInferenceGraph(state.arch, state.params, normalization, classNames), place), file);
  return file;
}
