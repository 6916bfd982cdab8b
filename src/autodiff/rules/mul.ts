import type { GradRule } from '../types';

// dA = dY * B, dB = dY * A
// When dY is an Expand of a smaller tensor s (the gradient of a ReduceSum, as in the growing step's
// heads Σ z·g) and the other factor has Y's full shape, dY * B = s * B by broadcasting: the same values,
// bit for bit, without writing and reading the expanded dY (finish() drops the unread Expand).
export const mulGrad: GradRule = (b, n, [dY], needs) => {
  if (!dY) return [null, null];
  const [A, B] = n.inputs as [string, string];
  const ys = b.staticShape(n.outputs[0]!);
  const expand = b.graph.producerOf(dY);
  const factor = (other: string): string => {
    const full = b.staticShape(other);
    return expand?.opType === 'Expand' && full.length === ys.length && full.every((d, i) => d === ys[i]) ? expand.inputs[0]! : dY;
  };
  return [needs[0] ? b.op1('Mul', [factor(B), B], {}, { name: 'dA' }) : null, needs[1] ? b.op1('Mul', [factor(A), A], {}, { name: 'dB' }) : null];
};
