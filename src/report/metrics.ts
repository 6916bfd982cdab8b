// Per-epoch metrics, appended to <name>.jsonl and <name>.csv in a run folder.
//
// - Each record is written (and handed to the OS) before write() returns, so a killed run keeps
//   every finished record; a line cut short by a crash is dropped when the files are reopened.
// - The CSV's columns are fixed by the first record ever written (or by `columns`), and kept when a
//   resumed run appends to the files again: the header is written once. Keys outside those columns
//   go to the JSONL file only (with one warning).
// - Numbers are formatted by formatNumber (same value, same text). In JSONL, NaN and ±Infinity are
//   written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). CSV is written by
//   csv-stringify and its header read back by csv-parse.
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { formatNumber } from './format';
import { writeFileAtomic } from '../util/atomic-write';

export type MetricValue = number | string | boolean | null;
export type MetricRecord = Record<string, MetricValue>;

export interface MetricsWriterOptions {
  /** CSV column order for a new file (default: the keys of the first record, in order) */
  columns?: string[];
  /** called once per key that is not a CSV column (default: process.emitWarning) */
  onWarning?: (message: string) => void;
}

/** Appends per-epoch records to a run folder's <name>.jsonl and <name>.csv (rules in the file comment). */
export class MetricsWriter {
  readonly jsonlPath: string;
  readonly csvPath: string;
  private columns: string[] | null;
  private readonly warned = new Set<string>();
  private readonly onWarning: (message: string) => void;

  /** Opens (creating if needed) `<runDir>/<name>.jsonl` and `<runDir>/<name>.csv` for appending. */
  constructor(runDir: string, name = 'metrics', options: MetricsWriterOptions = {}) {
    fs.mkdirSync(runDir, { recursive: true });
    this.jsonlPath = path.join(runDir, `${name}.jsonl`);
    this.csvPath = path.join(runDir, `${name}.csv`);
    this.onWarning = options.onWarning ?? ((m) => process.emitWarning(m));
    dropPartialLastLine(this.jsonlPath);
    dropPartialLastLine(this.csvPath);
    const header = readHeader(this.csvPath);
    this.columns = header ?? (options.columns ? [...options.columns] : null);
    if (header === null && this.columns !== null && fileSize(this.csvPath) === 0) {
      fs.appendFileSync(this.csvPath, csvLine(this.columns));
    }
  }

  /** The CSV columns, once known. */
  get csvColumns(): readonly string[] | null {
    return this.columns;
  }

  /** Append one record to both files. */
  write(record: MetricRecord): void {
    if (this.columns === null) {
      this.columns = Object.keys(record);
      fs.appendFileSync(this.csvPath, csvLine(this.columns));
    }
    for (const key of Object.keys(record)) {
      if (!this.columns.includes(key) && !this.warned.has(key)) {
        this.warned.add(key);
        this.onWarning(`${this.csvPath}: "${key}" is not one of its columns (${this.columns.join(', ')}); it is kept in the JSONL file only`);
      }
    }
    fs.appendFileSync(this.jsonlPath, jsonLine(record));
    fs.appendFileSync(this.csvPath, csvLine(this.columns.map((c) => record[c])));
  }

  /** Every record in the JSONL file, in order. */
  readAll(): MetricRecord[] {
    return readJsonl(this.jsonlPath);
  }

  /**
   * Keep only the records `keep` accepts, rewriting both files (e.g. on resume, drop the epochs
   * after the checkpoint being resumed from). Returns how many records were dropped.
   */
  retain(keep: (record: MetricRecord) => boolean): number {
    const all = this.readAll();
    const kept = all.filter(keep);
    if (kept.length === all.length) return 0;
    writeFileAtomic(this.jsonlPath, kept.map(jsonLine).join(''));
    const columns = this.columns ?? (kept[0] ? Object.keys(kept[0]) : null);
    const csv = columns ? csvLine(columns) + kept.map((r) => csvLine(columns.map((c) => r[c]))).join('') : '';
    writeFileAtomic(this.csvPath, csv);
    return all.length - kept.length;
  }
}

/** Every record of a JSONL file ([] when it does not exist). @throws Error naming the file and line of a line that is not JSON. */
export function readJsonl(file: string): MetricRecord[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as MetricRecord;
      } catch {
        throw new Error(`${file}:${i + 1}: not a JSON record`);
      }
    });
}

function jsonValue(v: MetricValue | undefined): string {
  if (typeof v === 'number') return Number.isFinite(v) ? formatNumber(v) : JSON.stringify(formatNumber(v));
  return JSON.stringify(v ?? null);
}

/** One JSONL line of `record`: keys in order, numbers by formatNumber, non-finite numbers as strings. */
export function jsonLine(record: MetricRecord): string {
  return `{${Object.entries(record).map(([k, v]) => `${JSON.stringify(k)}:${jsonValue(v)}`).join(',')}}\n`;
}

/**
 * CSV text of `rows` (RFC 4180, by csv-stringify): numbers as formatNumber writes them, booleans as
 * true/false, null and undefined as empty cells; a cell is quoted when it holds a comma, a quote or a
 * line break, or starts or ends with white space. Every row ends with a newline.
 */
export function csvRows(rows: Array<Array<MetricValue | undefined>>): string {
  return stringify(rows, {
    cast: { number: formatNumber, boolean: (v) => (v ? 'true' : 'false') },
    quoted_match: /^\s|\s$/,
    eof: true,
  });
}

/** One CSV row (see csvRows). */
export function csvLine(values: Array<MetricValue | undefined>): string {
  return csvRows([values]);
}

/** The cells of one CSV line (quoted cells allowed), by csv-parse. */
export function parseCsvLine(line: string): string[] {
  const rows = parse(line, { relax_column_count: true }) as string[][];
  return rows[0] ?? [''];
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function readHeader(file: string): string[] | null {
  if (fileSize(file) === 0) return null;
  const text = fs.readFileSync(file, 'utf8');
  const first = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  return first.trim() === '' ? null : parseCsvLine(first);
}

/** A crash mid-write can leave a line without its newline: cut it off. */
function dropPartialLastLine(file: string): void {
  const size = fileSize(file);
  if (size === 0) return;
  const text = fs.readFileSync(file, 'utf8');
  if (text.endsWith('\n')) return;
  const keep = text.lastIndexOf('\n') + 1;
  fs.truncateSync(file, Buffer.byteLength(text.slice(0, keep), 'utf8'));
}
