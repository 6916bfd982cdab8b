import type { GradRule } from '../types';

// dA = dY, dB = dY   (the walker sums broadcast axes back to each input's shape)
export const addGrad: GradRule = (_b, _n, [dY], needs) => [needs[0] ? dY ?? null : null, needs[1] ? dY ?? null : null];
