import type { GradRule } from '../types';

// Y = X0 + X1 + ...:  dXi = dY
export const sumGrad: GradRule = (_b, n, [dY], needs) => n.inputs.map((_, i) => (needs[i] ? dY ?? null : null));
