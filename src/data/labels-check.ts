// Label range checking shared by the loaders: an out-of-range label would otherwise surface much later
// as a NaN loss or an ONNX Runtime index error far from the file that caused it.
import { DataError } from './errors';

/** Throws a DataError naming `file` and the first example whose label is not in 0..classes-1. */
export function checkLabelRange(labels: ArrayLike<number>, classes: number, file: string, what = 'label'): void {
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classes) {
      throw new DataError(file, `bad ${what} value ${labels[i]} at example ${i}, expected 0..${classes - 1}`, 'corrupt file, or the wrong dataset kind');
    }
  }
}
