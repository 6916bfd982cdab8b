// `nasgrow train CONFIG`: train a fixed architecture (also the retrain-from-scratch step of a grow).
//
// The run folder gets arch.json, normalization.json, graphs/ (train, eval and — at the end — the
// standalone inference model with the trained weights), metrics.{jsonl,csv} and checkpoints/. A
// checkpoint is written after every `checkpoint_every` epochs; `--resume` restarts after the newest
// one. Shuffling and augmentation of epoch k derive from (seed, k) alone, so a resumed run sees exactly
// the batches an uninterrupted run would.
import * as fs from 'fs';
import * as path from 'path';
import { resolveArch, TrainConfig } from '../config';
import type { TrainOptions, TrainSummary } from '../cli/contracts';
import { paramCount, macCount } from '../models/params';
import { MetricsWriter, runFolder, writeJsonFile } from '../report';
import { setupData, writeNormalization } from './data-setup';
import { Engine } from './engine';
import { evaluate, EpochResult, trainEpoch } from './loop';
import { freshModelState, loadCheckpoint, ModelState, saveCheckpoint } from './model-state';
import { lrAt, Schedule } from './schedule';
import { writeArchGraphs } from './write-graphs';
import { writeModel } from '../onnx/writer';
import { buildInferenceGraph, SgdHyper } from './graphs';

const CHECKPOINT_RE = /^epoch-(\d+)\.safetensors$/;

export function latestCheckpoint(dir: string): { file: string; epoch: number } | null {
  if (!fs.existsSync(dir)) return null;
  let best: { file: string; epoch: number } | null = null;
  for (const f of fs.readdirSync(dir)) {
    const m = CHECKPOINT_RE.exec(f);
    if (m && (!best || Number(m[1]) > best.epoch)) best = { file: path.join(dir, f), epoch: Number(m[1]) };
  }
  return best;
}

export function scheduleOf(cfg: TrainConfig): Schedule {
  return { kind: cfg.train.schedule, lr: cfg.train.lr, epochs: cfg.train.epochs, milestones: cfg.train.milestones, gamma: cfg.train.gamma };
}

export function sgdOf(cfg: TrainConfig): SgdHyper {
  return { momentum: cfg.train.momentum, nesterov: cfg.train.nesterov, weightDecay: cfg.train.weight_decay };
}

export async function trainFromConfig(cfg: TrainConfig, runDir: string, opts: TrainOptions): Promise<TrainSummary> {
  const started = performance.now();
  const run = runFolder(runDir);
  const data = await setupData(cfg, opts.log);
  const arch = resolveArch(cfg, { inputShape: data.train.shape, classes: data.train.classes });
  const hyper = sgdOf(cfg);
  const schedule = scheduleOf(cfg);

  let state: ModelState;
  let firstEpoch = 0;
  const ckpt = opts.resume ? latestCheckpoint(run.checkpoints) : null;
  if (ckpt) {
    state = loadCheckpoint(ckpt.file).state;
    firstEpoch = ckpt.epoch;
    opts.log(`resuming after epoch ${ckpt.epoch} from ${path.relative(process.cwd(), ckpt.file)}`);
  } else {
    if (opts.resume) opts.log('no checkpoint in the run folder: starting from the beginning');
    state = freshModelState(arch, cfg.seed);
  }
  const metrics = new MetricsWriter(run.dir);
  metrics.retain((r) => typeof r.epoch === 'number' && r.epoch <= firstEpoch);
  writeJsonFile(run.arch, arch);
  writeNormalization(run.dir, data.normalization);
  writeArchGraphs(run.graphs, state, cfg.train.batch_size, hyper, data.normalization);
  opts.log(`${arch.family}: ${arch.layers.map((l) => l.width).join(',')} — ${paramCount(arch).toLocaleString('en-US')} parameters, ${(macCount(arch) / 1e6).toFixed(2)} MMAC per image`);

  const engine = await Engine.create(arch, cfg.train.batch_size, hyper, { device: cfg.runtime.device, threads: cfg.runtime.threads });
  let lastTrain: EpochResult | null = null;
  let lastTest: EpochResult | null = null;
  let lastCheckpoint: string | null = ckpt?.file ?? null;
  const E = cfg.train.epochs;
  try {
    for (let epoch = firstEpoch; epoch < E; epoch++) {
      const lr = lrAt(schedule, epoch);
      const label = `epoch ${epoch + 1}/${E}`;
      lastTrain = await trainEpoch(engine, state, data.trainLoader, epoch, lr, opts.progress, label);
      const done = epoch + 1;
      const record: Record<string, number | null> = {
        epoch: done,
        lr,
        train_loss: lastTrain.loss,
        train_acc: lastTrain.accuracy,
        train_seconds: lastTrain.seconds,
        train_img_per_s: lastTrain.images / lastTrain.seconds,
        test_loss: null,
        test_acc: null,
      };
      if (done % cfg.train.eval_every === 0 || done === E) {
        lastTest = await evaluate(engine, state, data.testLoader);
        record.test_loss = lastTest.loss;
        record.test_acc = lastTest.accuracy;
      }
      // Metrics before the checkpoint: a run killed in between resumes from the previous checkpoint,
      // drops this line (retain above) and writes it again; the other order would lose it.
      metrics.write(record);
      if (done % cfg.train.checkpoint_every === 0 || done === E) {
        lastCheckpoint = path.join(run.checkpoints, `epoch-${String(done).padStart(4, '0')}.safetensors`);
        saveCheckpoint(lastCheckpoint, state, { epoch: `${done}`, seed: `${cfg.seed}` });
      }
      opts.log(
        `${label}: lr ${lr.toPrecision(3)} train loss ${lastTrain.loss.toFixed(4)} acc ${(100 * lastTrain.accuracy).toFixed(2)}%` +
          (record.test_acc !== null ? `, test loss ${lastTest!.loss.toFixed(4)} acc ${(100 * lastTest!.accuracy).toFixed(2)}%` : '') +
          ` (${lastTrain.seconds.toFixed(1)} s, ${(lastTrain.images / lastTrain.seconds).toFixed(0)} img/s)`,
      );
    }
  } finally {
    await engine.release();
    await data.trainLoader.close();
    await data.testLoader.close();
  }
  writeModel(buildInferenceGraph(arch, state.params, data.normalization), path.join(run.graphs, 'infer.onnx'));
  return {
    epochs: E,
    train: lastTrain ? { loss: lastTrain.loss, accuracy: lastTrain.accuracy } : null,
    test: lastTest ? { loss: lastTest.loss, accuracy: lastTest.accuracy } : null,
    params: paramCount(arch),
    seconds: (performance.now() - started) / 1000,
    checkpoint: lastCheckpoint,
  };
}
