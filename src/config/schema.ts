// The nasgrow config schema: every key, its type, default (the paper's values where it gives them)
// and a one-line doc. `nasgrow config-reference` renders it as the README's config reference.
import * as fs from 'fs';
import * as path from 'path';
import { Family, seedArch } from '../models/arch';
import { archShapeMismatch, loadArchFile } from './arch-file';
import { DATASETS, Dataset, datasetShape } from './datasets';
import {
  CheckContext,
  Computed,
  Infer,
  Issue,
  REQUIRED,
  ValueType,
  bool,
  describeValue,
  either,
  field,
  int,
  list,
  mismatch,
  nullable,
  num,
  oneOf,
  pathType,
  section,
  str,
} from './dsl';

export const FAMILIES = ['vgg19', 'mobilenetv1'] as const satisfies readonly Family[];

/** [[means], [stds]] with one entry per image channel, stds > 0. */
function meanStd(): ValueType<[number[], number[]]> {
  const expected = 'a pair of lists [[means], [stds]], one number per channel';
  return {
    label: '[[means], [stds]]',
    expected,
    shapes: ['list'],
    parse: (raw) => {
      if (!Array.isArray(raw) || raw.length !== 2 || !raw.every(Array.isArray)) return mismatch(expected, raw);
      const [means, stds] = raw as unknown[][];
      if (means!.length === 0 || means!.length !== stds!.length) {
        return { ok: false, problem: `must have as many stds as means (one per channel), got ${describeValue(raw)}` };
      }
      for (const [row, values] of [means!, stds!].entries()) {
        for (const [i, v] of values.entries()) {
          const ok = typeof v === 'number' && Number.isFinite(v) && (row === 0 || v > 0);
          if (!ok) return { ok: false, problem: `must be ${row === 0 ? 'a number' : 'a number > 0'}, got ${describeValue(v)}`, at: [row, i] };
        }
      }
      return { ok: true, value: [means as number[], stds as number[]] };
    },
  };
}

const auto = oneOf(['auto']);
const positiveInt = int({ min: 1 });

export const configSchema = section('', {
  seed: field(int({ min: 0, max: 4294967295 }), 0, 'seed of every random choice: weight init, shuffling, augmentation, morphism init'),

  model: section('The network (the seed network when growing)', {
    family: field(oneOf(FAMILIES), 'vgg19', 'seed architecture: CIFAR VGG-19 (16 dense 3x3 convs) or CIFAR MobileNetV1 (3x3 stem + 13 depthwise-separable blocks)'),
    width: field(
      either(positiveInt, list(positiveInt, { minLength: 1 })),
      16,
      'channels of each dense conv: one int for all, or a list with one per dense layer (16 entries for vgg19, 14 for mobilenetv1); the paper seeds use 16 (VGG-19) and 32 (MobileNetV1)',
    ),
    arch: field(nullable(pathType({ mustExist: 'file' })), null, "architecture JSON (an ArchState, like a run folder's arch.json); overrides family and width"),
  }),

  data: section('The dataset', {
    dataset: field(oneOf(DATASETS), 'fashion-mnist', 'which dataset (and so which format) data.path holds'),
    path: field(pathType({ mustExist: 'any' }), REQUIRED, 'dataset file or folder, relative to the config file'),
    classes: field(nullable(list(str(), { minLength: 2, unique: true })), null, 'image-folder only: class folder names in label order (null: sorted folder names)'),
    limit_train: field(nullable(positiveInt), null, 'use only the first N training examples (null: all)'),
    limit_test: field(nullable(positiveInt), null, 'use only the first N test examples (null: all)'),
    augment: section('Training-set augmentation', {
      crop: field(bool(), true, 'random crop with 4-pixel zero padding'),
      flip: field(bool(), true, 'random horizontal flip'),
    }),
    normalize: field(either(auto, meanStd()), 'auto', 'auto: per-channel mean/std of the training set; or [[means], [stds]], one number per channel'),
    cache_dir: field(nullable(pathType({ mustExist: 'no' })), null, 'folder for caches of decoded data, created when needed (null: no cache)'),
  }),

  train: section("Model training (SGD); in growing runs the schedule counts training epochs across phases", {
    epochs: field(positiveInt, 10, 'epochs of `nasgrow train`'),
    batch_size: field(positiveInt, 64, 'mini-batch size'),
    lr: field(num({ gt: 0 }), 0.1, 'initial learning rate'),
    schedule: field(oneOf(['step', 'cosine', 'constant']), 'step', 'step: lr × gamma at each milestone; cosine: cosine decay to 0 over the epochs; constant'),
    milestones: field(list(positiveInt, { increasing: true }), [300, 450], 'step schedule: epochs at which lr is multiplied by gamma'),
    gamma: field(num({ gt: 0, max: 1 }), 0.1, 'step schedule: lr factor at each milestone'),
    momentum: field(num({ min: 0, lt: 1 }), 0.9, 'SGD momentum'),
    nesterov: field(bool(), true, 'Nesterov momentum'),
    weight_decay: field(num({ min: 0 }), 1.0e-4, 'L2 weight decay'),
    eval_every: field(positiveInt, 1, 'evaluate on the test set every N epochs (and after the last)'),
    checkpoint_every: field(positiveInt, 1, 'save a checkpoint every N epochs (and after the last)'),
  }),

  runtime: section('ONNX Runtime', {
    device: field(oneOf(['cpu', 'cuda']), 'cpu', 'execution provider'),
    threads: field(int({ min: 1, max: 1024 }), 2, 'intra-op threads'),
  }),

  output: section('Results', {
    dir: field(
      pathType({ mustExist: 'no' }),
      new Computed('runs/<config name>', (ctx: CheckContext) => path.resolve(ctx.cwd, 'runs', ctx.configName)),
      'run folder; when set here it is relative to the config file, the default is relative to the working directory; --out overrides',
    ),
  }),

  grow: section('Growing by network morphisms (`nasgrow run`): alternating training and growing phases', {
    cycles: field(positiveInt, 30, 'training + growing phase pairs'),
    phase_epochs: field(positiveInt, 20, 'epochs of each training phase and of each growing phase'),
    lambda_p: field(num({ min: 0 }), 3.0e-7, 'λ_p, loss per parameter: a morphism is applied only if -ΔL > λ_p·ΔR_params + λ_f·ΔR_flops'),
    lambda_f: field(num({ min: 0 }), 0, 'λ_f, loss per FLOP (0: FLOPs ignored)'),
    top_fraction: field(num({ gt: 0, max: 1 }), 0.3, 'per layer, apply at most ceil(top_fraction × width) of the morphisms with positive tradeoff'),
    min_width: field(positiveInt, 1, 'pruning never takes a layer below this many channels'),
    theta_lr: field(num({ gt: 0 }), 1.0e-2, 'Adam learning rate of the morphism parameters θ'),
    theta_init_scale: field(num({ gt: 0 }), 1.0e-2, "θ starts normal with std = this × the RMS of the channel's incoming kernel"),
    ema_weight: field(
      either(auto, num({ gt: 0, max: 1 })),
      'auto',
      'weight of each mini-batch in the moving average of ΔL estimates; auto: batch_size / (2 · N_train), about the last two epochs',
    ),
    granularity: field(oneOf(['batch', 'sample']), 'batch', 'Gauss-Newton objective and estimate per mini-batch (s + s²/4L̂, as in the paper) or per sample (s_i + s_i²/4L_i, averaged); batch ranks better on Fashion-MNIST, sample on the CIFAR-10 copy (README)'),
    estimate: field(
      oneOf(['ema', 'final']),
      'final',
      'what selection ranks by: a final pass over final_batches held-out batches with the learned θ fixed (default: pooled Spearman 0.77 vs 0.55 for the moving average on Fashion-MNIST, 0.69 vs 0.43 on the CIFAR-10 copy, README), or the moving average over the growing phase (the paper)',
    ),
    theta_steps: field(nullable(positiveInt), null, 'end each growing phase after this many Adam steps on θ (null: all phase_epochs epochs)'),
    theta_max_norm: field(nullable(num({ gt: 0 })), null, "after every Adam step, scale θ_c back to ‖θ_c‖ ≤ this × ‖w_in[c]‖ (null: no cap)"),
    final_batches: field(int({ min: 0 }), 20, "batches of training images held out from θ learning, on which the final pass estimates (at most 10% of the training set; 0: the final pass uses 20 training batches)"),
    uniform_baseline: field(bool(), false, 'after retraining, train a uniform-width seed with at least as many parameters the same way and report both (does growth pay?)'),
    retrain_epochs: field(nullable(int({ min: 0 })), null, 'epochs to retrain the final architecture from scratch (null: cycles × phase_epochs; 0: no retraining)'),
  }),
});

/** A validated config: every key present, paths absolute. Keys are spelt as in the YAML file. */
export interface TrainConfig {
  seed: number;
  model: {
    family: Family;
    /** one width for every dense layer, or one per dense layer */
    width: number | number[];
    /** absolute path of an architecture JSON file; overrides family and width */
    arch: string | null;
  };
  data: {
    dataset: Dataset;
    /** absolute path of the dataset file or folder */
    path: string;
    /** image-folder: class names in label order */
    classes: string[] | null;
    limit_train: number | null;
    limit_test: number | null;
    augment: { crop: boolean; flip: boolean };
    /** 'auto' or [means, stds], one entry per channel */
    normalize: 'auto' | [number[], number[]];
    /** absolute path, or null */
    cache_dir: string | null;
  };
  train: {
    epochs: number;
    batch_size: number;
    lr: number;
    schedule: 'step' | 'cosine' | 'constant';
    milestones: number[];
    gamma: number;
    momentum: number;
    nesterov: boolean;
    weight_decay: number;
    eval_every: number;
    checkpoint_every: number;
  };
  runtime: {
    device: 'cpu' | 'cuda';
    threads: number;
  };
  output: {
    /** absolute path of the run folder */
    dir: string;
  };
  grow: {
    cycles: number;
    phase_epochs: number;
    lambda_p: number;
    lambda_f: number;
    top_fraction: number;
    min_width: number;
    theta_lr: number;
    theta_init_scale: number;
    ema_weight: 'auto' | number;
    granularity: 'batch' | 'sample';
    estimate: 'ema' | 'final';
    theta_steps: number | null;
    theta_max_norm: number | null;
    final_batches: number;
    uniform_baseline: boolean;
    /** null: cycles × phase_epochs */
    retrain_epochs: number | null;
  };
}

// Compile-time guarantee that the hand-written interface and the schema describe the same type.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export type SchemaMatchesTrainConfig = Equal<Infer<typeof configSchema>, TrainConfig> extends true ? true : never;
export const schemaMatchesTrainConfig: SchemaMatchesTrainConfig = true;

/** Number of dense layers of a seed family (the length a per-layer width list must have). */
export function denseLayerCount(family: Family): number {
  return seedArch(family, 1).layers.length;
}

/** Checks that involve more than one key; run once every key is valid on its own. */
export function checkConsistency(cfg: TrainConfig, ctx: CheckContext): Issue[] {
  const issues: Issue[] = [];
  const shape = datasetShape(cfg.data.dataset);

  if (cfg.model.arch === null) {
    const { family, width } = cfg.model;
    const n = denseLayerCount(family);
    if (Array.isArray(width) && width.length !== n) {
      issues.push({ path: ['model', 'width'], problem: `has ${width.length} entries, but ${family} has ${n} dense layers: give one integer, or a list of ${n}` });
    } else if (shape) {
      try {
        seedArch(family, width, shape.inputShape, shape.classes);
      } catch (err) {
        issues.push({ path: ['model', 'family'], problem: `cannot take ${cfg.data.dataset} images: ${(err as Error).message}` });
      }
    }
  } else if (ctx.checkPaths) {
    try {
      const arch = loadArchFile(cfg.model.arch);
      const mismatch = shape ? archShapeMismatch(arch, shape) : null;
      if (mismatch) issues.push({ path: ['model', 'arch'], problem: `does not fit ${cfg.data.dataset}: ${mismatch}` });
      if (cfg.data.classes && arch.classes !== cfg.data.classes.length) {
        issues.push({ path: ['model', 'arch'], problem: `has ${arch.classes} classes, but data.classes lists ${cfg.data.classes.length}` });
      }
    } catch (err) {
      issues.push({ path: ['model', 'arch'], problem: `is not a usable architecture file: ${(err as Error).message}` });
    }
  }

  if (cfg.data.classes !== null && cfg.data.dataset !== 'image-folder') {
    issues.push({ path: ['data', 'classes'], problem: `is only used with dataset image-folder (dataset is ${cfg.data.dataset})` });
  }
  if (cfg.data.normalize !== 'auto' && shape && cfg.data.normalize[0].length !== shape.inputShape[0]) {
    issues.push({
      path: ['data', 'normalize'],
      problem: `has ${cfg.data.normalize[0].length} channel(s), but ${cfg.data.dataset} images have ${shape.inputShape[0]}`,
    });
  }
  if (cfg.data.dataset === 'image-folder' && ctx.checkPaths) {
    // the pathType above accepted a file or a folder; an image folder must be a folder
    try {
      if (!fs.statSync(cfg.data.path).isDirectory()) {
        issues.push({ path: ['data', 'path'], problem: `points to ${cfg.data.path}, which is not a folder (image-folder datasets are folders)` });
      }
    } catch {
      /* reported by the path check */
    }
  }
  if (cfg.train.nesterov && cfg.train.momentum === 0) {
    issues.push({ path: ['train', 'nesterov'], problem: 'needs train.momentum > 0 (set nesterov: false or a momentum)' });
  }
  return issues;
}
