import type { GradRule } from '../types';
import { UnsupportedGradient } from '../types';

// Y = zero-pad(X, pads):  dX = dY without the margins (pads must be >= 0, constant mode)
export const padGrad: GradRule = (b, n, [dY]) => {
  const out: (string | null)[] = n.inputs.map(() => null);
  if (!dY) return out;
  const mode = n.attrs.get('mode');
  if (mode && mode.kind === 'string' && mode.value !== 'constant') throw new UnsupportedGradient(n, `mode ${mode.value}`);
  const t = b.graph.constants.get(n.inputs[1]!);
  if (!t) throw new UnsupportedGradient(n, 'pads must be a constant');
  const pads = Array.from(t.data as BigInt64Array, Number);
  if (pads.some((p) => p < 0)) throw new UnsupportedGradient(n, 'negative pads');
  const xs = b.staticShape(n.inputs[0]!);
  const axes = xs.map((_, i) => i);
  out[0] = b.op1('Slice', [dY, b.ints(axes.map((i) => pads[i]!)), b.ints(axes.map((i) => pads[i]! + xs[i]!)), b.ints(axes)], {}, { name: 'dX' });
  return out;
};
