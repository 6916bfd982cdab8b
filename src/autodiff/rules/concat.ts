import type { GradRule } from '../types';
import { attrInt } from '../types';

// Y = concat(X0, X1, ...; axis):  dXi = dY[..., offset_i : offset_i + size_i, ...]
export const concatGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return n.inputs.map(() => null);
  const rank = b.staticShape(n.inputs[0]!).length;
  const a0 = attrInt(n, 'axis', 0);
  const axis = a0 < 0 ? a0 + rank : a0;
  let offset = 0;
  return n.inputs.map((x, i) => {
    const size = b.staticShape(x)[axis]!;
    const d = needs[i] ? b.op1('Slice', [dY, b.ints([offset]), b.ints([offset + size]), b.ints([axis])], {}, { name: `dX${i}` }) : null;
    offset += size;
    return d;
  });
};
