// A resume that trains a finished run further (a larger train.epochs or grow.retrain_epochs, a uniform
// baseline turned on) first removes the files that present the run's earlier end as its result:
// graphs/infer.onnx of `nasgrow train`; report.json and the retraining's and baseline's infer.onnx of
// `nasgrow run`; report.html of either (the page shows the result). config.yaml already says the new count when training starts, so a run that then
// diverges, is killed or fails would otherwise leave the shorter run's model beside it, looking like
// the result of the longer one. They are written again when the run ends; the checkpoints keep the
// earlier end's weights.
import * as fs from 'fs';
import * as path from 'path';
import { NonFiniteLossError } from '../../train/engine';
import { userFsError } from '../../util/folders';

/**
 * Remove those of `files` (paths relative to `runDir`) that exist, and log one line naming them and
 * `why` the run goes on past its earlier end. Returns the removed ones (for onDivergenceNote), in the
 * order given.
 * @throws UserError naming the file when the file system refuses to remove it (permissions, a
 *   read-only disk); other file-system errors as they are.
 */
export function removeEarlierResult(runDir: string, files: string[], why: string, log: (line: string) => void): string[] {
  const removed: string[] = [];
  for (const f of files) {
    const file = path.join(runDir, f);
    if (!fs.existsSync(file)) continue;
    try {
      fs.rmSync(file);
    } catch (e) {
      throw userFsError(e, 'remove', file);
    }
    removed.push(f);
  }
  if (removed.length > 0) {
    log(`${why}: removed ${listOf(removed)}, which showed the run's earlier end as its result; ${removed.length === 1 ? 'it is' : 'they are'} written again when the run ends`);
  }
  return removed;
}

/**
 * Run `work`; when its weights diverge after `removed` (from removeEarlierResult) were removed, the
 * error also says that the folder holds no result now and what brings one back.
 * @throws NonFiniteLossError with that sentence added; any other error as `work` throws it.
 */
export async function onDivergenceNote<T>(removed: string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!(e instanceof NonFiniteLossError) || removed.length === 0) throw e;
    const noted = new NonFiniteLossError(
      `${e.message} Before training on, this resume removed ${listOf(removed)} (the run's earlier end), so the folder holds no result now; ` +
        `a resume that trains to the end writes ${removed.length === 1 ? 'it' : 'them'} again, and the checkpoints keep the earlier weights.`,
    );
    noted.cause = e;
    throw noted;
  }
}

const listOf = (files: string[]) => (files.length === 1 ? files[0]! : `${files.slice(0, -1).join(', ')} and ${files[files.length - 1]}`);
