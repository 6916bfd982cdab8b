// What the CLI expects from the training and export code (src/train/, implemented elsewhere and
// loaded lazily by the train and export commands).
import type { TrainConfig } from '../config';
import type { ArchState } from '../models/arch';
import type { ProgressReporter } from '../report';

export interface TrainOptions {
  /** continue the run in runDir from its last checkpoint (runDir already holds that run) */
  resume: boolean;
  /** one line for the user and for <runDir>/train.log (the CLI writes it to both) */
  log: (line: string) => void;
  /** per-epoch progress on stderr: start(label, batches) / update(batch) / end() */
  progress: ProgressReporter;
}

export interface TrainSummary {
  /** epochs completed in the run folder, counting those before a resume */
  epochs: number;
  /** the last epoch's running training loss and accuracy (fraction), or null if no epoch ran */
  train: { loss: number; accuracy: number } | null;
  /** the last evaluation on the test set, or null if none ran */
  test: { loss: number; accuracy: number } | null;
  /** trainable parameters of the architecture */
  params: number;
  /** wall time of this invocation, seconds */
  seconds: number;
  /** the last checkpoint written, or null */
  checkpoint: string | null;
}

/** src/train/train-command.ts */
export interface TrainCommandModule {
  /**
   * Train cfg's architecture in runDir. The CLI has already validated cfg and created runDir with
   * config.yaml, checkpoints/ and graphs/ (see src/report/run-folder.ts); the trainer writes
   * arch.json, metrics (MetricsWriter) and checkpoints. Throw errors with `userError: true` for
   * problems the user must fix (e.g. unreadable data), anything else for bugs.
   */
  trainFromConfig(cfg: TrainConfig, runDir: string, opts: TrainOptions): Promise<TrainSummary>;
}

/** src/grow/run-command.ts: `nasgrow run`, same contract as training (the summary is the retrain's) */
export interface RunCommandModule {
  runFromConfig(cfg: TrainConfig, runDir: string, opts: TrainOptions): Promise<TrainSummary>;
}

export interface ExportRequest {
  arch: ArchState;
  batchSize: number;
  /** absolute; may not exist yet */
  outDir: string;
  /** seed of the initial weights written with the graphs */
  seed: number;
}

/** src/train/export-command.ts */
export interface ExportCommandModule {
  /** Write every ONNX graph of `arch` into outDir; returns the paths written. */
  exportGraphs(request: ExportRequest): Promise<string[]>;
}

/**
 * Check a lazily required implementation module. `load` does the require (its relative path is
 * written in the command's folder); a module that is not built yet is reported as such.
 */
export function loadImplementation<T>(load: () => unknown, modulePath: string, exportName: keyof T & string): T {
  let mod: unknown;
  try {
    mod = load();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(modulePath.split('/').pop()!)) {
      throw new Error(`${modulePath} is not available: it is not implemented or not built yet (run \`npm run build\`)`, { cause: err });
    }
    throw err;
  }
  if (typeof mod !== 'object' || mod === null || typeof (mod as Record<string, unknown>)[exportName] !== 'function') {
    throw new Error(`${modulePath} does not export a function ${exportName}()`);
  }
  return mod as T;
}
