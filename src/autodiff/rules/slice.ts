import type { GradRule } from '../types';
import { UnsupportedGradient } from '../types';
import type { GraphBuilder, Node } from '../../onnx/graph';

function constList(b: GraphBuilder, n: Node, k: number): number[] | undefined {
  const name = n.inputs[k];
  if (!name) return undefined;
  const t = b.graph.constants.get(name);
  if (!t) throw new UnsupportedGradient(n, `input ${k} must be a constant`);
  return Array.from(t.data as BigInt64Array, Number);
}

// Y = X[start:end:step] per axis.
//   step  1: dX = zero-pad dY back to X's extent (Pad with the slice's margins).
//   step -1: the slice reverses an interval: reverse dY the same way, then pad.
export const sliceGrad: GradRule = (b, n, [dY]) => {
  const out: (string | null)[] = n.inputs.map(() => null);
  if (!dY) return out;
  const xs = b.staticShape(n.inputs[0]!);
  const rank = xs.length;
  const starts = constList(b, n, 1)!;
  const ends = constList(b, n, 2)!;
  const axes = (constList(b, n, 3) ?? starts.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const steps = constList(b, n, 4) ?? starts.map(() => 1);
  const pads = new Array<number>(2 * rank).fill(0);
  const flipAxes: number[] = [];
  axes.forEach((a, i) => {
    const dim = xs[a]!;
    const step = steps[i]!;
    const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
    let st = starts[i]! < 0 ? starts[i]! + dim : starts[i]!;
    let en = ends[i]! < 0 ? ends[i]! + dim : ends[i]!;
    if (step === 1) {
      st = clamp(st, 0, dim);
      en = clamp(en, 0, dim);
      pads[a] = st;
      pads[a + rank] = dim - Math.max(en, st);
    } else if (step === -1) {
      st = clamp(st, -1, dim - 1);
      en = clamp(en, -1, dim - 1);
      // elements st, st-1, ..., en+1 (reversed)
      flipAxes.push(a);
      pads[a] = en + 1;
      pads[a + rank] = dim - 1 - st;
    } else {
      throw new UnsupportedGradient(n, `step ${step} (only 1 and -1 are differentiable)`);
    }
  });
  let g = dY;
  if (flipAxes.length) {
    const big = 2 ** 62;
    g = b.op1('Slice', [g, b.ints(flipAxes.map(() => -1)), b.ints(flipAxes.map(() => -big)), b.ints(flipAxes), b.ints(flipAxes.map(() => -1))], {}, { name: 'reverse' });
  }
  if (pads.some((p) => p !== 0)) g = b.op1('Pad', [g, b.ints(pads)], { mode: 'constant' }, { name: 'dX' });
  out[0] = g;
  return out;
};
