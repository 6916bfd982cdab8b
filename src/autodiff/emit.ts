// Small emit helpers shared by several gradient rules.
import { GraphBuilder } from '../onnx/graph';

/** Broadcast `v` (reduced with keepdims) back to the static shape of `like`. */
export function expandLike(b: GraphBuilder, v: string, like: string): string {
  return b.op1('Expand', [v, b.ints(b.staticShape(like))]);
}

/** Reshape `v` so that it has the rank of `like` with size-1 reduced axes (undo keepdims=0). */
export function keepDims(b: GraphBuilder, v: string, inputShape: number[], axes: number[]): string {
  const shape = inputShape.map((d, i) => (axes.includes(i) ? 1 : d));
  const vs = b.staticShape(v);
  if (vs.length === shape.length && vs.every((d, i) => d === shape[i])) return v;
  return b.op1('Reshape', [v, b.ints(shape)]);
}

/** ONNX reduction axes made non-negative and sorted; none (or empty) means every axis of a rank-`rank` tensor. */
export function normalizeAxes(axes: number[] | undefined, rank: number): number[] {
  if (!axes || axes.length === 0) return Array.from({ length: rank }, (_, i) => i);
  return axes.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
}

/** `v` times the constant `factor` (one Mul node). */
export function scale(b: GraphBuilder, v: string, factor: number): string {
  return b.op1('Mul', [v, b.floats([factor])]);
}
