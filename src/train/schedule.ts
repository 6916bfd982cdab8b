// Learning-rate schedules, per epoch (the lr is constant within an epoch, as PyTorch's
// MultiStepLR / CosineAnnealingLR stepped once per epoch).
import type { TrainConfig } from '../config';

export type ScheduleKind = 'step' | 'cosine' | 'constant';

export interface Schedule {
  kind: ScheduleKind;
  lr: number;
  /** total epochs the schedule spans (cosine) */
  epochs: number;
  /** step: epochs (counted from 0) at which lr is multiplied by gamma */
  milestones: number[];
  gamma: number;
}

/** Learning rate of 0-based epoch `epoch`. */
export function lrAt(s: Schedule, epoch: number): number {
  switch (s.kind) {
    case 'constant':
      return s.lr;
    case 'step':
      // MultiStepLR: after `m` epochs have completed the rate drops, so epoch m runs at the lower rate
      return s.lr * s.gamma ** s.milestones.filter((m) => epoch >= m).length;
    case 'cosine':
      // CosineAnnealingLR(T_max = epochs, eta_min = 0)
      return (s.lr * (1 + Math.cos((Math.PI * epoch) / s.epochs))) / 2;
  }
}

/**
 * The schedule of a config's train section spanning `epochs` epochs (default train.epochs; a growing
 * run's training phases span cycles × phase_epochs, its retraining retrain_epochs).
 */
export function scheduleOf(cfg: TrainConfig, epochs = cfg.train.epochs): Schedule {
  return { kind: cfg.train.schedule, lr: cfg.train.lr, epochs, milestones: cfg.train.milestones, gamma: cfg.train.gamma };
}
