// `nasgrow train CONFIG`: train a fixed architecture in a run folder.
//
// The run folder gets arch.json, normalization.json, graphs/ (train, eval and — at the end — the
// standalone inference model with the trained weights), metrics.{jsonl,csv} and checkpoints/. A
// checkpoint is written after every `checkpoint_every` epochs; `--resume` restarts after the newest
// one. Shuffling and augmentation of epoch k derive from (seed, 'train', k) alone, so a resumed run
// sees exactly the batches an uninterrupted run would.
import * as path from 'path';
import { epochCheckpointPath, latestCheckpoint, loadCheckpoint, saveCheckpoint } from '../../models/checkpoint';
import { macCount, paramCount } from '../../models/params';
import { freshModelState, ModelState } from '../../models/state';
import { MetricsWriter } from '../../report';
import { writeClassNames, writeNormalization } from '../../train/data-setup';
import { Engine } from '../../train/engine';
import { epochRecord, EpochResult, testResultOf, trainEpochs, trainResultMetadata, trainResultOf } from '../../train/loop';
import { sgdOf } from '../../train/optimizer';
import { lrAt, scheduleOf } from '../../train/schedule';
import { writeArchGraphs, writeInferenceGraph } from '../../train/write-graphs';
import { writeJsonFile } from '../../util/atomic-write';
import { STREAMS } from '../../util/streams';
import { onDivergenceNote, removeEarlierResult } from '../shared/earlier-result';
import { inSession, RunSession, startRun, summaryLines, TrainArgs, TrainSummary, writeReportPage } from '../shared/run-setup';

/** `nasgrow train`: check everything, then train; the summary goes to the terminal and train.log. */
export async function runTrain(args: TrainArgs): Promise<void> {
  const session = await startRun(args, 'train');
  await inSession(session, async () => {
    const summary = await trainFromConfig(session);
    for (const line of summaryLines(summary)) session.log(line);
    await writeReportPage(session);
  });
}

/** Train the config's architecture in the session's run folder (resuming after its last checkpoint). */
export async function trainFromConfig({ cfg, run, resume, data, arch, log, progress }: RunSession): Promise<TrainSummary> {
  const started = performance.now();
  const hyper = sgdOf(cfg);
  const schedule = scheduleOf(cfg);

  let state: ModelState;
  let firstEpoch = 0;
  const ckpt = resume ? latestCheckpoint(run.checkpoints) : null;
  const E = cfg.train.epochs;
  // before the checkpoint is loaded: whatever stops this resume, the earlier end's model is not left
  // beside a config.yaml that already says E epochs
  const removed = resume && (ckpt?.epoch ?? 0) < E ? removeEarlierResult(run.dir, [path.join('graphs', 'infer.onnx'), 'report.html'], `train.epochs ${E} trains this run on after epoch ${ckpt?.epoch ?? 0}`, log) : [];
  let lastTrain: EpochResult | null = null;
  let lastTestFromCheckpoint: EpochResult | null = null;
  if (ckpt) {
    const loaded = loadCheckpoint(ckpt.file, { warn: log });
    state = loaded.state;
    firstEpoch = ckpt.epoch;
    lastTrain = trainResultOf(loaded.metadata);
    lastTestFromCheckpoint = testResultOf(loaded.metadata);
    log(`resuming after epoch ${ckpt.epoch} from ${path.relative(process.cwd(), ckpt.file)}`);
  } else {
    if (resume) log('no checkpoint in the run folder: starting from the beginning');
    state = freshModelState(arch, cfg.seed);
  }
  const metrics = new MetricsWriter(run.dir);
  metrics.retain((r) => typeof r.epoch === 'number' && r.epoch <= firstEpoch);
  writeJsonFile(run.arch, arch);
  writeNormalization(run.dir, data.normalization);
  writeClassNames(run.dir, data.train.classNames);
  // infer.onnx is written at the end, with the trained weights: a run that stops leaves none
  writeArchGraphs(run.graphs, arch, cfg.train.batch_size, hyper);
  log(`${arch.family}: ${arch.layers.map((l) => l.width).join(',')} — ${paramCount(arch).toLocaleString('en-US')} parameters, ${(macCount(arch) / 1e6).toFixed(2)} MMAC per image`);

  const engine = await Engine.create(arch, cfg.train.batch_size, hyper, { device: cfg.runtime.device, threads: cfg.runtime.threads });
  let lastTest: EpochResult | null = lastTestFromCheckpoint;
  if (firstEpoch >= cfg.train.epochs) log(`the run has trained for ${firstEpoch} epochs already (train.epochs ${cfg.train.epochs}): nothing to train; raise train.epochs (--epochs) to train on`);
  let lastCheckpoint: string | null = ckpt?.file ?? null;
  try {
    await onDivergenceNote(removed, () => trainEpochs(engine, state, data.trainLoader, {
      first: firstEpoch,
      end: E,
      lr: (epoch) => lrAt(schedule, epoch),
      stream: STREAMS.train,
      label: (epoch) => `epoch ${epoch + 1}/${E}`,
      evaluateAfter: (epoch) => (epoch + 1) % cfg.train.eval_every === 0 || epoch + 1 === E,
      test: data.testLoader,
      progress,
      afterEpoch: (epochDone) => {
        const { epoch, lr, train, test } = epochDone;
        const done = epoch + 1;
        lastTrain = train;
        if (test) lastTest = test;
        // Metrics before the checkpoint: a run killed in between resumes from the previous checkpoint,
        // drops this line (retain above) and writes it again; the other order would lose it.
        metrics.write(epochRecord(null, 'train', epochDone, paramCount(arch)));
        if (done % cfg.train.checkpoint_every === 0 || done === E) {
          lastCheckpoint = epochCheckpointPath(run.checkpoints, done);
          saveCheckpoint(lastCheckpoint, state, { epoch: `${done}`, seed: `${cfg.seed}`, ...trainResultMetadata(train, test) });
        }
        log(
          `epoch ${done}/${E}: lr ${lr.toPrecision(3)} train loss ${train.loss.toFixed(4)} acc ${(100 * train.accuracy).toFixed(2)}%` +
            (test ? `, test loss ${test.loss.toFixed(4)} acc ${(100 * test.accuracy).toFixed(2)}%` : '') +
            ` (${train.seconds.toFixed(1)} s, ${(train.images / train.seconds).toFixed(0)} img/s)`,
        );
      },
    }));
  } finally {
    await engine.release();
  }
  writeInferenceGraph(run.graphs, state, data.normalization, data.train.classNames);
  const t = lastTrain as EpochResult | null;
  const v = lastTest as EpochResult | null;
  return {
    epochs: E,
    train: t && { loss: t.loss, accuracy: t.accuracy },
    test: v && { loss: v.loss, accuracy: v.accuracy },
    params: paramCount(arch),
    seconds: (performance.now() - started) / 1000,
    checkpoint: lastCheckpoint,
  };
}
