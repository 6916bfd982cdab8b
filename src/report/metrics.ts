// Per-epoch metrics, appended to <name>.jsonl and <name>.csv in a run folder.
//
// - Each record is written (and handed to the OS) before write() returns, so a killed run keeps
//   every finished record; a line cut short by a crash is dropped when the files are reopened.
// - The CSV's columns are fixed by the first record ever written (or by `columns`), and kept when a
//   resumed run appends to the files again: the header is written once. Keys outside those columns
//   go to the JSONL file only (with one warning).
// - Read back on resume, every line of the JSONL file must be a flat JSON object and the CSV's first
//   line a header of distinct names; anything else is a RunFileError (a user error) naming the file
//   and line. A CSV without a header (deleted, emptied) is written again from the JSONL file.
// - The two files must then agree: the CSV's rows are the JSONL records in its columns. write() appends
//   to the JSONL file first, so a crash between the two appends leaves the CSV one row short, and that
//   row is appended on reopening; any other difference means one file changed outside nasgrow (a
//   flipped digit, a lost tail, a spreadsheet that saved it over), which is a RunFileError naming both
//   files and the first row that differs, so that a resumed run never carries a changed record on.
// - Numbers are formatted by formatNumber (same value, same text). In JSONL, NaN and ±Infinity are
//   written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). CSV is written by
//   csv-stringify and its header read back by csv-parse.
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { formatNumber } from './format';
import { RunFileError } from './json-file';
import { appendFileWhole, writeFileAtomic } from '../util/atomic-write';
import { makeFolder } from '../util/folders';
import { plural } from '../util/plural';

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

  /**
   * Opens (creating if needed) `<runDir>/<name>.jsonl` and `<runDir>/<name>.csv` for appending; a CSV
   * without header is written again from the JSONL file.
   * @throws RunFileError naming the file (and line) when the CSV header or a JSONL line is damaged.
   */
  constructor(runDir: string, name = 'metrics', options: MetricsWriterOptions = {}) {
    makeFolder(runDir);
    this.jsonlPath = path.join(runDir, `${name}.jsonl`);
    this.csvPath = path.join(runDir, `${name}.csv`);
    this.onWarning = options.onWarning ?? ((m) => process.emitWarning(m));
    dropPartialLastLine(this.jsonlPath);
    dropPartialLastLine(this.csvPath);
    const header = readHeader(this.csvPath);
    this.columns = header ?? (options.columns ? [...options.columns] : null);
    if (header === null) {
      // No header: a new run, or a CSV the user deleted because its header was damaged (readHeader's
      // advice). It is derived from the JSONL file, so it is written again from there.
      const records = readJsonl(this.jsonlPath);
      if (this.columns === null && records.length > 0) this.columns = Object.keys(records[0]!);
      const columns = this.columns;
      if (columns !== null) writeFileAtomic(this.csvPath, csvFile(columns, records));
      else if (fileSize(this.csvPath) > 0) writeFileAtomic(this.csvPath, '');
    } else {
      this.checkAgreement(header);
    }
  }

  /**
   * The CSV's rows against the JSONL records in `columns` (the file comment's rule): a CSV one row
   * short (a crash between the two appends of write()) gets that row appended.
   * @throws RunFileError naming both files and the first row that differs.
   */
  private checkAgreement(columns: string[]): void {
    const records = readJsonl(this.jsonlPath);
    const rowsOf = (text: string) => (parse(text, { relax_column_count: true }) as string[][]).filter((r) => !(r.length === 1 && r[0] === ''));
    const rows = rowsOf(fs.readFileSync(this.csvPath, 'utf8')).slice(1);
    // a record without one of the columns (a renamed key) matches no cell, not even an empty one
    const missing = '\u0000missing';
    const expected = rowsOf(csvRows(records.map((r) => columns.map((c) => (c in r ? r[c] : missing)))));
    const same = (a: string[] | undefined, b: string[] | undefined) => a !== undefined && b !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
    const k = expected.findIndex((e, i) => !same(e, rows[i]));
    if (k < 0 && rows.length === expected.length) return;
    if (k === expected.length - 1 && rows.length === k) {
      appendFileWhole(this.csvPath, csvRecord(columns, records[k]!));
      return;
    }
    const jsonl = path.basename(this.jsonlPath);
    const csv = path.basename(this.csvPath);
    let where: string;
    if (k < 0) where = `${csv} has ${plural(rows.length, 'row')}, ${jsonl} ${plural(expected.length, 'record')}`;
    else if (k >= rows.length) where = `${csv} ends after ${plural(rows.length, 'row')}, ${jsonl} holds ${plural(expected.length, 'record')}`;
    else where = `record ${k + 1} of ${jsonl} is not row ${k + 1} of ${csv} (line ${k + 2}): ${columns.find((_, i) => rows[k]![i] !== expected[k]![i]) ?? 'the number of cells'} differs`;
    throw new RunFileError(
      this.jsonlPath,
      `does not agree with ${this.csvPath}`,
      `${this.jsonlPath} and ${this.csvPath} disagree (${where}): nasgrow writes every record to both, so one of them was changed outside nasgrow (an edit, a spreadsheet that saved it, an interrupted copy, a disk error). ` +
        `If ${jsonl} is right, delete ${csv} (a resumed run writes it again from ${jsonl}); otherwise restore ${jsonl}, or start a new run`,
    );
  }

  /** The CSV columns, once known. */
  get csvColumns(): readonly string[] | null {
    return this.columns;
  }

  /**
   * Append one record to both files.
   * @throws UserError naming the file when the disk is full or the file cannot be written; that file
   *   then keeps no part of the line (src/util/atomic-write.ts appendFileWhole).
   */
  write(record: MetricRecord): void {
    if (this.columns === null) {
      this.columns = Object.keys(record);
      appendFileWhole(this.csvPath, csvLine(this.columns));
    }
    for (const key of Object.keys(record)) {
      if (!this.columns.includes(key) && !this.warned.has(key)) {
        this.warned.add(key);
        this.onWarning(`${this.csvPath}: "${key}" is not one of its columns (${this.columns.join(', ')}); it is kept in the JSONL file only`);
      }
    }
    appendFileWhole(this.jsonlPath, jsonLine(record));
    appendFileWhole(this.csvPath, csvRecord(this.columns, record));
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
    const csv = columns ? csvFile(columns, kept) : '';
    writeFileAtomic(this.csvPath, csv);
    return all.length - kept.length;
  }
}

const JSONL_REMEDY =
  'nasgrow appends one whole line per epoch, so a crash can only cut the last line, which it drops on resume: this line was changed ' +
  'outside nasgrow (an edit, an interrupted copy, a disk error). Fix or delete the line (that epoch is then missing from the metrics; ' +
  'training resumes from its checkpoints all the same), or start a new run';

/**
 * Every record of a JSONL file of metrics ([] when it does not exist); blank lines are skipped.
 * @throws RunFileError naming the file and line of a line that is not a flat JSON object (values
 *   numbers, strings, booleans or null), or naming the file when it cannot be read.
 */
export function readJsonl(file: string): MetricRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return [];
    throw new RunFileError(file, `cannot be read (${err.code ?? err.message})`);
  }
  const records: MetricRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const fail = (problem: string): never => {
      throw new RunFileError(file, `line ${i + 1} ${problem}`, `${file}:${i + 1}: ${problem}. ${JSONL_REMEDY}`);
    };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      fail(`is not a JSON record (${(e as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('is not a JSON object');
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== null && typeof v !== 'number' && typeof v !== 'string' && typeof v !== 'boolean') fail(`holds ${JSON.stringify(k)}, which is not a number, string, true/false or null`);
    }
    records.push(value as MetricRecord);
  });
  return records;
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

/** `record`'s CSV row in `columns` (a key the record lacks: an empty cell). */
function csvRecord(columns: readonly string[], record: MetricRecord): string {
  return csvLine(columns.map((c) => record[c]));
}

/** A whole CSV file of `records`: the header `columns`, then a row per record. */
function csvFile(columns: readonly string[], records: MetricRecord[]): string {
  return csvLine([...columns]) + records.map((r) => csvRecord(columns, r)).join('');
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

/**
 * The columns of a CSV file's header line, or null when the file is missing or blank.
 * @throws RunFileError naming the file when its first line is not a header of distinct, non-empty names.
 */
function readHeader(file: string): string[] | null {
  if (fileSize(file) === 0) return null;
  const text = fs.readFileSync(file, 'utf8');
  if (text.trim() === '') return null;
  const first = text.slice(0, text.indexOf('\n') >= 0 ? text.indexOf('\n') : text.length);
  const fail = (problem: string): never => {
    throw new RunFileError(file, `its header line ${problem}`, `${file}: its header line (line 1) ${problem}. Delete ${path.basename(file)}: a resumed run writes it again from the JSONL file beside it`);
  };
  let columns: string[] = [];
  try {
    columns = parseCsvLine(first);
  } catch (e) {
    fail(`is not CSV (${(e as Error).message})`);
  }
  if (columns.some((c) => c.trim() === '')) fail(`has an empty column name (${JSON.stringify(first)})`);
  const twice = columns.find((c, i) => columns.indexOf(c) !== i);
  if (twice !== undefined) fail(`names the column ${JSON.stringify(twice)} twice`);
  return columns;
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

