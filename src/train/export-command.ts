// `nasgrow export`: every graph of one architecture state, with fresh weights.
import * as path from 'path';
import type { ExportRequest } from '../cli/contracts';
import { writeArchGraphs } from './write-graphs';
import { freshModelState } from './model-state';

export async function exportGraphs(request: ExportRequest): Promise<string[]> {
  const state = freshModelState(request.arch, request.seed);
  return writeArchGraphs(path.resolve(request.outDir), state, request.batchSize, { momentum: 0.9, nesterov: true, weightDecay: 1e-4 }, undefined, { granularity: 'batch' });
}
