// The nasgrow config schema, in zod: every key, its type, default (the paper's values where it gives
// them) and a one-line description. The one zod tree drives validation (load.ts, with issues.ts
// wording zod's issues), the TypeScript type of a config (TrainConfig), YAML output and the
// Markdown reference (`nasgrow config-reference`, describe.ts), which is the README's config reference.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { z } from 'zod';
import { ArchState, FAMILIES, Family, seedArch } from '../models/arch';
import { fewestBatchNormValues, machineMemory, stepMemoryLowerBound } from '../models/feasibility';
import { paramCount, UNIFORM_MATCH_BY, uniformMatch, UniformMatchBy } from '../models/params';
import { archShapeMismatch, loadArchFile } from './arch-file';
import { DATASET_KINDS, datasetShape } from '../data/kinds';
import { describeValue } from './describe';
import { ConfigError } from './errors';
import { formatKeyPath, type Issue } from './issues';
import { PathKind, configMeta } from './walk';

export { FAMILIES };

/** grow.method: the paper's method and the baselines run in the same harness (README "Baselines"). */
export const GROW_METHODS = ['gauss-newton', 'random', 'steepest', 'slimming'] as const;
export type GrowMethod = (typeof GROW_METHODS)[number];

/** What path checks and computed defaults depend on. */
export interface CheckContext {
  /** folder that relative paths are resolved against (the config file's folder) */
  baseDir: string;
  /** whether paths that must exist are checked (off when re-reading a saved config) */
  checkPaths: boolean;
  /** whether data.path is checked (as checkPaths, but off for `nasgrow validate --no-data`) */
  checkDataPath: boolean;
  /** the config's name: its file name without the .yaml extension */
  configName: string;
  /** working directory, for defaults relative to where nasgrow runs */
  cwd: string;
}

/**
 * A section: a mapping of the given keys only (a strict object, so zod reports any other key as
 * unrecognized_keys and issues.ts suggests the intended one). A section left out, or left empty
 * (YAML reads `train:` as null), takes every default: .prefault({}) parses {} through the object,
 * which fills the inner defaults (.default({}) would return {} as it is).
 */
function section<S extends z.ZodRawShape>(description: string, shape: S) {
  const object = z.strictObject(shape);
  return z.preprocess((v) => (v === null ? undefined : v), object.prefault({} as z.input<typeof object>)).meta({ description });
}

/**
 * A file system path, resolved relative to the config file's folder (`~/` is the home folder) and,
 * for inputs, checked to exist when ctx.checkPaths. The parsed value is absolute.
 */
function pathType(ctx: CheckContext, mustExist: PathKind, check = ctx.checkPaths) {
  return z
    .string()
    .min(1)
    .transform((raw, tctx) => {
      const expanded = raw === '~' ? os.homedir() : raw.startsWith('~/') ? path.join(os.homedir(), raw.slice(2)) : raw;
      const resolved = path.resolve(ctx.baseDir, expanded);
      if (!check || mustExist === 'no') return resolved;
      const problem = (message: string) => {
        tctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      };
      const from = path.isAbsolute(expanded) ? '' : ` (relative paths are resolved from the config file's folder, ${ctx.baseDir})`;
      let stat: fs.Stats;
      try {
        stat = fs.statSync(resolved);
      } catch {
        return problem(`points to ${resolved}, which does not exist${from}`);
      }
      if (mustExist === 'file' && !stat.isFile()) {
        // model.arch naming a run folder: its arch.json is what was meant
        const inside = stat.isDirectory() && fs.existsSync(path.join(resolved, 'arch.json')) ? `; did you mean ${path.join(resolved, 'arch.json')}?` : '';
        return problem(`points to ${resolved}, which is ${stat.isDirectory() ? 'a folder, not a file' : 'not a regular file'}${inside}`);
      }
      if (mustExist === 'dir' && !stat.isDirectory()) return problem(`points to ${resolved}, which is not a directory`);
      return resolved;
    })
    .register(configMeta, { path: mustExist });
}

/** A list check: each item strictly greater than the one before. */
function increasing(c: z.core.ParsePayload<number[]>): void {
  if (c.value.some((x, i) => i > 0 && !(x > c.value[i - 1]!))) {
    c.issues.push({ code: 'custom', message: `must be increasing, got ${describeValue(c.value)}`, input: c.value });
  }
}

/** A list check: no item twice; the repeat is reported at its index. */
function unique(c: z.core.ParsePayload<string[]>): void {
  const i = c.value.findIndex((x, j) => c.value.indexOf(x) < j);
  if (i >= 0) c.issues.push({ code: 'custom', message: `must not repeat ${describeValue(c.value[i])}`, input: c.value, path: [i] });
}

/**
 * Smallest std data.normalize takes. Inputs are (pixel − mean) / std with pixel and mean in [0, 1], so
 * they stay within ±1/std: at this bound ±1e6, still far from float32's range (the first BatchNorm
 * squares sums of such inputs), while a real channel's std is nowhere near it (below 1e-6, all but
 * one in about 1e10 pixels of a channel would have to be equal). A smaller std, like 1e-300, made
 * the inputs infinite and the loss NaN at once, blamed on the learning rate.
 */
export const MIN_NORMALIZE_STD = 1e-6;

/**
 * [[means], [stds]] with one entry per image channel, in units of pixel values scaled to [0, 1] (as
 * torchvision's Normalize after ToTensor): means in [0, 1], stds in [MIN_NORMALIZE_STD, 1]. A value
 * above 1 is almost surely in 0..255 units (ImageNet's 123.7 / 58.4), which would silently make every
 * input nearly the same number; the message says to divide by 255.
 */
const meanStd = z
  .tuple([z.array(z.number()), z.array(z.number().gt(0))])
  .check((c) => {
    const [means, stds] = c.value;
    if (means.length === 0 || means.length !== stds.length) {
      c.issues.push({ code: 'custom', message: `must have as many stds as means (one per channel), got ${describeValue(c.value)}`, input: c.value });
    }
    const units = 'data.normalize is in units of pixel values scaled to [0, 1]';
    const pixelUnits = 'values in 0..255 units must be divided by 255';
    means.forEach((m, i) => {
      if (!(m >= 0 && m <= 1)) {
        c.issues.push({ code: 'custom', message: `is a mean of ${describeValue(m)}, outside [0, 1]: ${units}, so a mean lies in [0, 1] (${pixelUnits})`, input: c.value, path: [0, i] });
      }
    });
    stds.forEach((s, i) => {
      // (s <= 0 is reported by the item check)
      if (s > 1) {
        c.issues.push({ code: 'custom', message: `is a std of ${describeValue(s)}, above 1: ${units}, whose std is at most 0.5 (${pixelUnits})`, input: c.value, path: [1, i] });
      } else if (s > 0 && s < MIN_NORMALIZE_STD) {
        const m = means[i] ?? 0.5;
        const reach = Math.max(Math.abs(m), Math.abs(1 - m)) / s;
        c.issues.push({
          code: 'custom',
          message: `is a std of ${describeValue(s)}, below 1e-6, which is no channel's std: the normalised inputs (pixel − mean) / std would ${Number.isFinite(Math.fround(reach)) ? `reach ±${reach.toPrecision(3)}` : 'be infinite in float32, and the loss NaN'}; ${units}: give each channel's std (e.g. 0.25), or auto`,
          input: c.value,
          path: [1, i],
        });
      }
    });
  })
  .register(configMeta, { label: '[[means], [stds]]', expected: 'a pair of lists [[means], [stds]], one number per channel' });

const auto = z.literal('auto');
const positiveInt = z.number().int().min(1);

/**
 * The config schema for one config file. It is a factory because path values are resolved against
 * the config file's folder (and checked to exist) and output.dir's default depends on the working
 * directory and the config's name, while zod's parse takes no per-call context. The alternatives
 * were a module-level "current context" set around each parse (hidden state that a nested or
 * concurrent load would clobber) or resolving paths in a second walk after zod (which would then
 * need its own error reporting). Every call builds the same structure; code that reads only the
 * structure (reference table, YAML output, diffs) uses `configStructure` below.
 */
export function configSchema(ctx: CheckContext) {
  return section('', {
    seed: z.number().int().min(0).max(4294967295).default(0).meta({ description: 'seed of every random choice: weight init, shuffling, augmentation, morphism init' }),

    model: section('The network (the seed network when growing)', {
      family: z.enum(FAMILIES).default('vgg19').meta({
        description: 'seed architecture: CIFAR VGG-19 (16 dense 3x3 convs) or CIFAR MobileNetV1 (3x3 stem + 13 depthwise-separable blocks)',
      }),
      width: z.union([positiveInt, z.array(positiveInt).min(1)]).nullable().default(null).meta({
        description:
          "channels of each dense conv: one int for all, or a list with one per dense layer (16 entries for vgg19, 14 for mobilenetv1); null: the paper's seed width, 16 for vgg19 and 32 for mobilenetv1",
      }),
      arch: pathType(ctx, 'file').nullable().default(null).meta({ description: "architecture JSON (an ArchState, like a run folder's arch.json); overrides family and width" }),
      uniform_match: z.enum(UNIFORM_MATCH_BY).nullable().default(null).meta({
        description:
          "with model.arch: the network (for `run`, the seed network) is instead the narrowest uniform-width network of that architecture's family with at least its trainable parameters (params) or multiply-accumulates per image (macs; FLOPs = 2 × MACs): the uniform control of an architecture a run found, matched by size or by compute. run.json records what it was matched to, and train.log the control's MACs and parameters against the architecture's (with a note when one width step overshoots the matched count by more than 10%, as at small widths); null: model.arch itself",
      }),
    }),

    data: section('The dataset', {
      dataset: z.enum(DATASET_KINDS).default('fashion-mnist').meta({ description: 'which dataset (and so which format) data.path holds' }),
      path: pathType(ctx, 'any', ctx.checkDataPath).meta({ description: 'dataset file or folder, relative to the config file' }),
      classes: z.array(z.string().min(1)).min(2).check(unique).nullable().default(null).meta({
        description: 'image-folder only: class folder names in label order (null: sorted folder names)',
      }),
      channels: z.literal([1, 3]).nullable().default(null).meta({
        description:
          'image-folder only: 1 reads every image as greyscale (colour ones converted), 3 as RGB (grey ones repeated in R, G and B); null: 3, as torchvision and Keras read image folders',
      }),
      limit_train: positiveInt.nullable().default(null).meta({ description: 'use only N training examples, a class-balanced sample: each class\'s first examples in dataset order, taken in turn (null: all; more than the split holds is refused)' }),
      limit_test: positiveInt.nullable().default(null).meta({ description: 'use only N test examples, chosen as limit_train chooses (null: all)' }),
      augment: section('Training-set augmentation', {
        crop: z.boolean().default(true).meta({ description: 'random crop with 4-pixel zero padding' }),
        flip: z.boolean().default(true).meta({ description: 'random horizontal flip' }),
      }),
      normalize: z.union([auto, meanStd]).default('auto').meta({
        description:
          'auto: per-channel mean/std of the training set; or [[means], [stds]], one number per channel, in units of pixel values scaled to [0, 1] (means in [0, 1], stds in [1e-6, 1]): inputs are (pixel/255 − mean) / std',
      }),
      cache_dir: pathType(ctx, 'no').nullable().default(null).meta({ description: 'folder for caches of decoded data, created when needed (null: no cache)' }),
    }),

    train: section('Model training (SGD); in growing runs the schedule counts training epochs across phases', {
      epochs: positiveInt.default(10).meta({ description: 'epochs of `nasgrow train`' }),
      batch_size: positiveInt.default(64).meta({ description: 'mini-batch size' }),
      lr: z.number().gt(0).default(0.1).meta({ description: 'initial learning rate' }),
      schedule: z.enum(['step', 'cosine', 'constant']).default('step').meta({
        description: 'step: lr × gamma at each milestone; cosine: cosine decay to 0 over the epochs; constant',
      }),
      milestones: z.array(positiveInt).check(increasing).default([300, 450]).meta({ description: 'step schedule: epochs at which lr is multiplied by gamma' }),
      gamma: z.number().gt(0).max(1).default(0.1).meta({ description: 'step schedule: lr factor at each milestone' }),
      momentum: z.number().min(0).lt(1).default(0.9).meta({ description: 'SGD momentum' }),
      nesterov: z.boolean().default(true).meta({ description: 'Nesterov momentum' }),
      weight_decay: z.number().min(0).default(1.0e-4).meta({ description: 'L2 weight decay' }),
      eval_every: positiveInt.default(1).meta({ description: '`nasgrow train`: evaluate on the test set every N epochs (and after the last); `nasgrow run` evaluates after each training phase and after retraining' }),
      checkpoint_every: positiveInt.default(1).meta({ description: '`nasgrow train`: save a checkpoint every N epochs (and after the last); `nasgrow run` saves after every phase and every retraining epoch' }),
    }),

    runtime: section('ONNX Runtime', {
      device: z.enum(['cpu', 'cuda']).default('cpu').meta({ description: 'execution provider' }),
      threads: z.number().int().min(1).max(1024).default(2).meta({ description: 'intra-op threads' }),
    }),

    output: section('Results', {
      dir: pathType(ctx, 'no')
        .default(() => path.resolve(ctx.cwd, 'runs', ctx.configName))
        .register(configMeta, { shownDefault: 'runs/<config name>' })
        .meta({
          description: 'run folder; when set here it is relative to the config file, the default is relative to the working directory; --out overrides',
        }),
    }),

    grow: section('Growing by network morphisms (`nasgrow run`): alternating training and growing phases', {
      method: z.enum(GROW_METHODS).default('gauss-newton').meta({
        description:
          'gauss-newton: the paper\'s method; random: random splitting, the reference run\'s number of splits and prunes per layer and phase on random channels (needs grow.reference); steepest: splitting steepest descent (Liu et al. 2019), the reference run\'s counts with the splits on the channels of most negative λ_min of their splitting matrices, θ along v_min, and the prunes on random channels (needs grow.reference); slimming: network slimming, a wider uniform network trained with L1 on its BN scales, then the smallest |γ| pruned globally down to the parameter target; README "Baselines"',
      }),
      reference: pathType(ctx, 'dir').nullable().default(null).meta({
        description:
          'run folder of a gauss-newton `nasgrow run` with the same seed network and grow.cycles: what grow.method random and steepest copy their counts from, and slimming\'s default parameter target (its found architecture\'s parameters)',
      }),
      steepest_scale: z.number().gt(0).default(0.1).meta({
        description: "grow.method steepest: a split channel's θ is this × the norm of its incoming kernel × v_min (the unit eigenvector of its splitting matrix's smallest eigenvalue)",
      }),
      slimming_l1: z.number().min(0).default(1.0e-4).meta({
        description: 'grow.method slimming: s of the L1 penalty s·Σ|γ| on every dense layer\'s BN scales during the training phases (Liu et al. 2017 use 1e-4 on VGG/CIFAR)',
      }),
      slimming_width: positiveInt.nullable().default(null).meta({
        description: 'grow.method slimming: channels of every dense layer of the wide network that is trained and then pruned (null: twice the seed network\'s widest layer)',
      }),
      target_params: positiveInt.nullable().default(null).meta({
        description: 'grow.method slimming: prune down to at most this many parameters (null: the parameters of grow.reference\'s found architecture)',
      }),
      cycles: positiveInt.default(30).meta({ description: 'training + growing phase pairs' }),
      phase_epochs: positiveInt.default(20).meta({ description: 'epochs of each training phase and of each growing phase' }),
      lambda_p: z.number().min(0).default(3.0e-7).meta({
        description: 'λ_p, loss per parameter: a morphism is applied only if -ΔL > λ_p·ΔR_params + λ_f·ΔR_flops',
      }),
      lambda_f: z.number().min(0).default(0).meta({ description: 'λ_f, loss per FLOP (0: FLOPs ignored)' }),
      top_fraction: z.number().gt(0).max(1).default(0.3).meta({
        description: 'per layer, apply at most ceil(top_fraction × width) of the morphisms with positive tradeoff',
      }),
      min_width: positiveInt.default(1).meta({ description: 'pruning never takes a layer below this many channels (a layer narrower than this, such as a narrower seed, is not pruned but may be split)' }),
      theta_lr: z.number().gt(0).default(1.0e-2).meta({ description: 'Adam learning rate of the morphism parameters θ' }),
      theta_init_scale: z.number().gt(0).default(1.0e-2).meta({ description: "θ starts normal with std = this × the RMS of the channel's incoming kernel" }),
      ema_weight: z.union([auto, z.number().gt(0).max(1)]).default('auto').meta({
        description: 'weight of each mini-batch in the moving average of ΔL estimates; auto: batch_size / (2 · N_train), about the last two epochs',
      }),
      granularity: z.enum(['batch', 'sample']).default('batch').meta({
        description:
          'Gauss-Newton objective and estimate per mini-batch (s + s²/4L̂, as in the paper) or per sample (s_i + s_i²/4L_i, averaged); batch ranks better on Fashion-MNIST, sample on the CIFAR-10 copy (README)',
      }),
      estimate: z.enum(['ema', 'final']).default('final').meta({
        description:
          'what selection ranks by: a final pass over final_batches held-out batches with the learned θ fixed (default: pooled Spearman 0.77 vs 0.55 for the moving average on Fashion-MNIST, 0.69 vs 0.43 on the CIFAR-10 copy, README), or the moving average over the growing phase (the paper)',
      }),
      theta_steps: positiveInt.nullable().default(null).meta({ description: 'end each growing phase after this many Adam steps on θ (null: all phase_epochs epochs)' }),
      theta_max_norm: z.number().gt(0).nullable().default(null).meta({
        description: 'after every Adam step, scale θ_c back to ‖θ_c‖ ≤ this × ‖w_in[c]‖ (null: no cap)',
      }),
      final_batches: z.number().int().min(0).default(20).meta({
        description:
          'batches of training images held out from θ learning, on which the final pass estimates (at most 10% of the training set; 0: the final pass uses 20 training batches)',
      }),
      uniform_baseline: z.boolean().default(false).meta({
        description: 'after retraining, train a uniform-width seed with at least as many parameters the same way and report both (does growth pay?)',
      }),
      retrain_epochs: z.number().int().min(0).nullable().default(null).meta({
        description: 'epochs to retrain the final architecture from scratch (null: cycles × phase_epochs; 0: no retraining)',
      }),
    }),
  });
}

/** A validated config: every key present, paths absolute. Keys are spelt as in the YAML file. */
export type TrainConfig = z.output<ReturnType<typeof configSchema>>;

/** The epochs a grow run retrains its found architecture for: grow.retrain_epochs, or (null) as many
 *  as its training phases had, cycles × phase_epochs; 0 retrains nothing. */
export function retrainEpochs(g: TrainConfig['grow']): number {
  return g.retrain_epochs ?? g.cycles * g.phase_epochs;
}

/**
 * The schema built with a placeholder context, for code that reads only its structure (keys,
 * types, defaults, descriptions): never parse with it, its paths would resolve against `/`.
 */
export const configStructure = configSchema({ baseDir: '/', checkPaths: false, checkDataPath: false, configName: 'config', cwd: '/' });

/** Number of dense layers of a seed family (the length a per-layer width list must have). */
export function denseLayerCount(family: Family): number {
  return seedArch(family, 1).layers.length;
}

/**
 * Checks that involve more than one key; run once every key is valid on its own (a plain function
 * after zod rather than a refinement: zod runs refinements on objects whose keys had non-fatal
 * issues, and these checks need valid values). Loads model.arch when ctx.checkPaths.
 */
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
        seedArch(family, width ?? undefined, shape.inputShape, shape.classes);
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

  if (cfg.model.uniform_match !== null && cfg.model.arch === null) {
    issues.push({ path: ['model', 'uniform_match'], problem: 'matches the architecture in model.arch, which is not set: name the arch.json to match (a run folder\'s), or remove uniform_match' });
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
  if (cfg.data.channels !== null && cfg.data.dataset !== 'image-folder') {
    issues.push({ path: ['data', 'channels'], problem: `is only used with dataset image-folder (${cfg.data.dataset} images have ${shape?.inputShape[0]}): leave it out` });
  }
  // an image folder's channel count is known before reading it: the one it is decoded to
  const folderChannels = cfg.data.channels ?? 3;
  if (cfg.data.normalize !== 'auto' && cfg.data.dataset === 'image-folder' && cfg.data.normalize[0].length !== folderChannels) {
    const k = cfg.data.normalize[0].length;
    issues.push({
      path: ['data', 'normalize'],
      problem:
        `has ${k} channel(s), but the image folder is read with ${folderChannels}${cfg.data.channels === null ? ' (data.channels null: RGB)' : ''}: ` +
        `give ${folderChannels} means and ${folderChannels} stds${k === 1 || k === 3 ? `, or set data.channels: ${k} to read the images as ${k === 1 ? 'greyscale' : 'RGB'}` : ''}`,
    });
  }
  if (cfg.data.dataset === 'image-folder' && ctx.checkDataPath) {
    // pathType(ctx, 'any') accepted a file or a folder; an image folder is a folder, or an archive of
    // one, which the loader reads like cifar10's (src/data/image-folder.ts, src/data/image-tree.ts)
    try {
      if (!fs.statSync(cfg.data.path).isDirectory() && !/\.(tar|tgz|tar\.gz)$/i.test(cfg.data.path)) {
        issues.push({
          path: ['data', 'path'],
          problem: `points to ${cfg.data.path}, which is neither a folder nor a .tar, .tgz or .tar.gz archive (image-folder datasets are one of those)`,
        });
      }
    } catch {
      /* reported by the path check */
    }
  }
  if (cfg.grow.method === 'random' && cfg.grow.reference === null) {
    issues.push({ path: ['grow', 'reference'], problem: 'is null, but grow.method random copies its counts from a reference run: name the run folder of a gauss-newton `nasgrow run` (e.g. reference: ../runs/quickstart)' });
  }
  if (cfg.grow.method === 'steepest' && cfg.grow.reference === null) {
    issues.push({ path: ['grow', 'reference'], problem: 'is null, but grow.method steepest copies its counts from a reference run: name the run folder of a gauss-newton `nasgrow run` (e.g. reference: ../runs/quickstart)' });
  }
  if (cfg.grow.method === 'slimming' && cfg.grow.target_params === null && cfg.grow.reference === null) {
    issues.push({ path: ['grow', 'target_params'], problem: 'is null and so is grow.reference, but grow.method slimming prunes down to a parameter target: set target_params, or name a reference run whose parameters to match' });
  }
  if (cfg.train.nesterov && cfg.train.momentum === 0) {
    issues.push({ path: ['train', 'nesterov'], problem: 'needs train.momentum > 0 (set nesterov: false or a momentum)' });
  }
  // what the network at this batch size needs; an image-folder's shape is known only once read, and the
  // CLI checks the same with checkTrainable() then
  if (issues.length === 0 && shape) {
    let arch: ArchState | null = null;
    try {
      arch = cfg.model.arch === null ? seedArch(cfg.model.family, cfg.model.width ?? undefined, shape.inputShape, shape.classes) : ctx.checkPaths ? matchedArch(loadArchFile(cfg.model.arch), cfg.model.uniform_match) : null;
    } catch {
      /* reported above */
    }
    if (arch) issues.push(...checkTrainable(arch, cfg.train.batch_size, 'train'));
  }
  return issues;
}

/**
 * checkTrainable as an error: once an image-folder's shape is known, or for the growing step.
 * @throws ConfigError naming `source` (the config file) and the key, when there is a problem.
 */
export function assertTrainable(arch: ArchState, batch: number, kind: 'train' | 'grow', source: string): void {
  const issues = checkTrainable(arch, batch, kind);
  if (issues.length > 0) throw new ConfigError(issues.map((i) => ({ source, key: formatKeyPath(i.path), problem: i.problem })));
}

/**
 * Problems that keep `arch` from training at `batch` on this machine, as config issues: a
 * training-mode BatchNorm with one value per channel (no variance to normalise by: PyTorch refuses it
 * too, nasgrow would silently leave the weights unchanged), or a step graph whose memory lower bound
 * (src/models/feasibility.ts) exceeds this machine's memory.
 */
export function checkTrainable(arch: ArchState, batch: number, kind: 'train' | 'grow'): Issue[] {
  const issues: Issue[] = [];
  const bn = fewestBatchNormValues(arch, batch);
  if (bn.values < 2) {
    issues.push({
      path: ['train', 'batch_size'],
      problem: `is ${batch}, so the ${bn.bn} (on ${bn.hw.join('x')} maps) would normalise ${bn.values} value per channel; training-mode BatchNorm needs at least 2: use a larger batch`,
    });
  }
  const need = stepMemoryLowerBound(arch, batch, kind);
  if (need > machineMemory()) {
    const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
    issues.push({
      path: arch.layers.length > 0 ? ['model', 'width'] : [],
      problem: `gives a network of ${paramCount(arch).toLocaleString('en-US')} parameters whose ${kind === 'grow' ? 'growing' : 'training'} step needs at least ${gib(need)} at batch ${batch}, more than this machine's ${gib(machineMemory())}: use narrower layers or a smaller train.batch_size`,
    });
  }
  return issues;
}

/**
 * `arch`, or with `by` its uniform control (model.uniform_match): the narrowest uniform-width network
 * of its family with at least its parameters or multiply-accumulates per image (models/params
 * uniformMatch).
 */
export function matchedArch(arch: ArchState, by: UniformMatchBy | null): ArchState {
  return by === null ? arch : uniformMatch(arch, by);
}
