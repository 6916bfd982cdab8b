// The optimizers' settings. SGD with PyTorch's semantics updates the model (src/train/graphs.ts);
// BatchNorm's running statistics follow PyTorch's momentum.
import type { TrainConfig } from '../config';

/** torch.optim.SGD's settings (dampening 0). */
export interface SgdHyper {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  /** network slimming (Liu et al. 2017): s of the L1 penalty s·Σ|γ| on the BN scales γ of every dense
   *  layer (`<layer>.bn.weight`), whose subgradient s·sign(γ) is added to their gradient beside weight
   *  decay; absent or 0: no penalty (absent keeps the graphs' metadata as before the option existed) */
  bnL1?: number;
}

/** PyTorch's BatchNorm momentum: r ← (1 − m)·r + m·batch statistic. */
export const BN_MOMENTUM = 0.1;

/** The SGD settings of a config's train section. */
export function sgdOf(cfg: TrainConfig): SgdHyper {
  return { momentum: cfg.train.momentum, nesterov: cfg.train.nesterov, weightDecay: cfg.train.weight_decay };
}
