// Progress of one epoch (or one growing phase's pass) on stderr.
//
// On a terminal: a bar redrawn in place (batches done/total, images per second, running loss and
// accuracy, ETA), replaced at the end by a one-line summary. Anywhere else (CI logs, files, pipes):
// only the one-line summary per epoch, with no control characters.
//
//   progress.start('epoch 3/10', batches);
//   for (...) progress.update({ size: 64, loss: batchMeanLoss, correct: 51 });
//   const stats = progress.end();          // running loss/accuracy over the epoch, images/s, ...
//
// Ours rather than a library's: cli-progress (the common choice) repeats the bar on a timer when
// stderr is not a terminal, where CI logs and train.log want one summary line per epoch, and its
// single bar has no way to print log lines above itself; on top of it this file would be as long.
import { formatDuration } from './format';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  /** where the bar and the epoch lines go (default process.stderr) */
  stream?: ProgressStream;
  /** draw a live bar; default: whether `stream` is a terminal */
  tty?: boolean;
  /** where log() lines go (default process.stdout) */
  logStream?: ProgressStream;
  /** clock in milliseconds (default performance.now) */
  now?: () => number;
  /** minimum time between redraws of the bar (default 100 ms) */
  redrawMs?: number;
  /** write nothing (stats are still computed) */
  silent?: boolean;
  /** also hand every epoch's summary line here (a run's train.log) */
  onSummary?: (line: string) => void;
}

/** One mini-batch: its size, its mean loss, and how many of its examples were classified right. */
export interface BatchResult {
  size: number;
  loss: number;
  /** correctly classified examples; left out where there is no accuracy (growing steps) */
  correct?: number;
}

export interface EpochStats {
  label: string;
  batches: number;
  images: number;
  seconds: number;
  imagesPerSecond: number;
  /** mean loss per example over the epoch (NaN if no images) */
  loss: number;
  /** fraction of examples classified right (NaN if no images) */
  accuracy: number;
}

/** Per-epoch progress on stderr and log lines on stdout (the file comment shows the use). */
export class ProgressReporter {
  private readonly stream: ProgressStream;
  private readonly logStream: ProgressStream;
  private readonly tty: boolean;
  private readonly now: () => number;
  private readonly redrawMs: number;
  private readonly silent: boolean;
  private readonly onSummary: ((line: string) => void) | undefined;

  private active = false;
  private label = '';
  private total = 0;
  private batches = 0;
  private images = 0;
  private lossSum = 0;
  private correct = 0;
  private startedAt = 0;
  private lastDraw = -Infinity;
  private barShown = false;

  constructor(options: ProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.logStream = options.logStream ?? process.stdout;
    this.tty = options.tty ?? this.stream.isTTY === true;
    this.now = options.now ?? (() => performance.now());
    this.redrawMs = options.redrawMs ?? 100;
    this.silent = options.silent ?? false;
    this.onSummary = options.onSummary;
  }

  /** Whether a live bar is drawn (else one plain line per epoch). */
  get interactive(): boolean {
    return this.tty && !this.silent;
  }

  /** Begin an epoch of `totalBatches` mini-batches; `label` names it ("epoch 3/10", "grow 2/30"). */
  start(label: string, totalBatches: number): void {
    if (this.active) this.end();
    this.active = true;
    this.label = label;
    this.total = totalBatches;
    this.batches = 0;
    this.images = 0;
    this.lossSum = 0;
    this.correct = 0;
    this.startedAt = this.now();
    this.lastDraw = -Infinity;
    this.draw(false);
  }

  /** Record one finished mini-batch. */
  update(batch: BatchResult): void {
    if (!this.active) throw new Error('ProgressReporter.update() called outside start()/end()');
    this.batches += 1;
    this.images += batch.size;
    this.lossSum += batch.loss * batch.size;
    if (batch.correct === undefined) this.correct = NaN;
    else this.correct += batch.correct;
    this.draw(false);
  }

  /** Finish the epoch: print its summary line (with `note` appended) and return its statistics. */
  end(note?: string): EpochStats {
    const stats = this.stats();
    if (this.active) {
      const line = summaryLine(stats) + (note ? `  ${note}` : '');
      if (!this.silent) {
        if (this.tty) this.stream.write(`\r${fit(line, this.width())}\x1b[K\n`);
        else this.stream.write(line + '\n');
      }
      this.onSummary?.(line);
    }
    this.active = false;
    this.barShown = false;
    return stats;
  }

  /** Print a line (to the log stream) without breaking a bar being drawn. */
  log(line: string): void {
    if (this.silent) return;
    if (this.barShown) this.stream.write('\r\x1b[K');
    this.logStream.write(line.endsWith('\n') ? line : line + '\n');
    if (this.barShown) this.draw(true);
  }

  /** Statistics of the epoch so far. */
  stats(): EpochStats {
    const seconds = Math.max(0, (this.now() - this.startedAt) / 1000);
    return {
      label: this.label,
      batches: this.batches,
      images: this.images,
      seconds,
      imagesPerSecond: seconds > 0 ? this.images / seconds : 0,
      loss: this.images > 0 ? this.lossSum / this.images : NaN,
      accuracy: this.images > 0 ? this.correct / this.images : NaN,
    };
  }

  private width(): number {
    return Math.max(40, (this.stream.columns ?? 100) - 1);
  }

  private draw(force: boolean): void {
    if (!this.interactive) return;
    const t = this.now();
    if (!force && this.batches < this.total && t - this.lastDraw < this.redrawMs) return;
    this.lastDraw = t;
    const s = this.stats();
    const frac = this.total > 0 ? Math.min(1, this.batches / this.total) : 0;
    const eta = this.batches > 0 ? (s.seconds / this.batches) * (this.total - this.batches) : NaN;
    const barWidth = 20;
    const filled = Math.round(frac * barWidth);
    const bar = '█'.repeat(filled) + '░'.repeat(barWidth - filled);
    const digits = String(this.total).length;
    const line =
      `${this.label} ${bar} ${String(this.batches).padStart(digits)}/${this.total}` +
      `  ${Math.round(s.imagesPerSecond)} img/s  loss ${fixed(s.loss, 4)}  acc ${percent(s.accuracy)}  ETA ${formatDuration(eta)}`;
    this.stream.write(`\r${fit(line, this.width())}\x1b[K`);
    this.barShown = true;
  }
}

function fixed(x: number, digits: number): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '-';
}

function percent(x: number): string {
  return Number.isFinite(x) ? `${(100 * x).toFixed(2)}%` : '-';
}

/** "  acc 85.31%" (or with `sep` ", "); nothing when there is no accuracy. */
function accuracyPart(x: number, sep: string): string {
  return Number.isNaN(x) ? '' : `${sep}acc ${percent(x)}`;
}

function fit(line: string, width: number): string {
  return line.length <= width ? line : line.slice(0, width - 1) + '…';
}

/** "epoch 3/10: 782 batches, 50000 images in 0:21 (2310 img/s), loss 0.4123, acc 85.31%" */
export function summaryLine(s: EpochStats): string {
  return (
    `${s.label}: ${s.batches} batches, ${s.images} images in ${formatDuration(s.seconds)} ` +
    `(${Math.round(s.imagesPerSecond)} img/s), loss ${fixed(s.loss, 4)}${accuracyPart(s.accuracy, ', ')}`
  );
}
