// Run-folder files read back on resume and by `nasgrow table` (src/report/json-file.ts, run-progress.ts,
// run-report.ts, metrics.ts, run-folder.ts): each damaged one is a RunFileError (a user error) naming the
// file (and line) and what to do.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { writeJsonFile } from '../../src/util/atomic-write';
import { MetricsWriter, RunFileError, RunManifest, readJsonl, readManifest, readRunProgress, readRunReport } from '../../src/report';
import { describeHardware, hardwareInfo } from '../../src/util/hardware';
import { tempDir } from '../helpers/temp-dir';

const tmp = () => tempDir('nasgrow-runfiles-');

function progressFile(content?: string): string {
  const file = path.join(tmp(), 'progress.json');
  if (content === undefined) writeJsonFile(file, { completedPhases: 2, retrainDone: false, seconds: 12.5 });
  else fs.writeFileSync(file, content);
  return file;
}

test('progress.json reads back; a missing one means nothing done yet', (t) => {
  t.deepEqual(readRunProgress(progressFile()), { completedPhases: 2, retrainDone: false, seconds: 12.5 });
  t.deepEqual(readRunProgress(path.join(tmp(), 'progress.json')), { completedPhases: 0, retrainDone: false, seconds: 0 });
});

const damagedProgress: Array<[string, string, RegExp]> = [
  ['empty', '', /the progress file of this run is empty \(0 bytes\); nasgrow replaces this file atomically, so no crash leaves it like this/],
  ['truncated', '{\n  "completedPhases": 2,\n  "retr', /is not valid JSON \(.*\); nasgrow replaces this file atomically/],
  ['not JSON', 'completedPhases=2', /is not valid JSON/],
  ['an array', '[2]', /is damaged: it is not a JSON object/],
  ['completedPhases a string', '{"completedPhases": "x", "retrainDone": false, "seconds": 1}', /"completedPhases" must be a whole number >= 0, not "x"/],
  ['completedPhases negative', '{"completedPhases": -1, "retrainDone": false, "seconds": 1}', /"completedPhases" must be a whole number >= 0, not -1/],
  ['completedPhases fractional', '{"completedPhases": 1.5, "retrainDone": false, "seconds": 1}', /"completedPhases" must be a whole number/],
  ['retrainDone missing', '{"completedPhases": 1, "seconds": 1}', /"retrainDone" must be true or false, not missing/],
  ['seconds a string', '{"completedPhases": 1, "retrainDone": true, "seconds": "1"}', /"seconds" must be a number >= 0, not "1"/],
];

for (const [name, content, message] of damagedProgress) {
  test(`progress.json ${name}: a RunFileError naming it and what to do`, (t) => {
    const file = progressFile(content);
    const e = t.throws(() => readRunProgress(file), { instanceOf: RunFileError })!;
    t.true(e.userError);
    t.true(e.message.startsWith(`${file}: the progress file of this run `), e.message);
    t.regex(e.message, message);
    t.regex(e.message, /write it again as \{"completedPhases": N, "retrainDone": false, "seconds": 0\}.*or start a new run$/);
  });
}

test('progress.json that is not UTF-8 is named', (t) => {
  const file = path.join(tmp(), 'progress.json');
  fs.writeFileSync(file, Buffer.from([0x7b, 0xff, 0x7d]));
  t.throws(() => readRunProgress(file), { instanceOf: RunFileError, message: /progress\.json: the progress file of this run is not UTF-8 text/ });
});

test('progress.json that is a folder is named', (t) => {
  const file = path.join(tmp(), 'progress.json');
  fs.mkdirSync(file);
  t.throws(() => readRunProgress(file), { instanceOf: RunFileError, message: /progress\.json: the progress file of this run cannot be read \(EISDIR\)/ });
});

function metricsDir(lines: string[]): string {
  const dir = tmp();
  const w = new MetricsWriter(dir);
  w.write({ epoch: 1, loss: 2 });
  w.write({ epoch: 2, loss: 1 });
  if (lines.length > 0) fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join(''));
  return dir;
}

const damagedJsonl: Array<[string, string[], number, RegExp]> = [
  ['a line that is not JSON', ['{"epoch":1,"loss":2}\n', '{"epoch":2,"lo\n', '{"epoch":3,"loss":1}\n'], 2, /is not a JSON record/],
  ['a number', ['{"epoch":1,"loss":2}\n', '5\n'], 2, /is not a JSON object/],
  ['an array', ['[1]\n'], 1, /is not a JSON object/],
  ['a nested value', ['{"epoch":1,"loss":{"a":1}}\n'], 1, /holds "loss", which is not a number, string, true\/false or null/],
  ['a bad line after blank lines', ['{"epoch":1}\n', '\n', '\n', 'x\n'], 4, /is not a JSON record/],
];

for (const [name, lines, line, message] of damagedJsonl) {
  test(`metrics.jsonl with ${name}: a RunFileError naming the file and line`, (t) => {
    const dir = metricsDir(lines);
    const file = path.join(dir, 'metrics.jsonl');
    for (const read of [() => readJsonl(file), () => new MetricsWriter(dir).readAll()]) {
      const e = t.throws(read, { instanceOf: RunFileError })!;
      t.true(e.message.startsWith(`${file}:${line}: `), e.message);
      t.regex(e.message, message);
      t.regex(e.message, /a crash can only cut the last line.*Fix or delete the line/);
    }
  });
}

test('metrics.jsonl: a last line cut short by a crash is still dropped on reopening', (t) => {
  const dir = tmp();
  new MetricsWriter(dir).write({ epoch: 1, loss: 2 });
  // killed while appending the second record to metrics.jsonl, before metrics.csv
  fs.appendFileSync(path.join(dir, 'metrics.jsonl'), '{"epoch":2,"lo');
  t.deepEqual(new MetricsWriter(dir).readAll(), [{ epoch: 1, loss: 2 }]);
  t.is(fs.readFileSync(path.join(dir, 'metrics.csv'), 'utf8'), 'epoch,loss\n1,2\n');
});

test('metrics.csv one row short (killed between the two appends) gets that row on reopening', (t) => {
  const dir = tmp();
  const w = new MetricsWriter(dir);
  w.write({ epoch: 1, loss: 2 });
  fs.appendFileSync(w.jsonlPath, '{"epoch":2,"loss":1}\n');
  const reopened = new MetricsWriter(dir);
  t.is(fs.readFileSync(w.csvPath, 'utf8'), 'epoch,loss\n1,2\n2,1\n');
  reopened.write({ epoch: 3, loss: 0.5 });
  t.is(fs.readFileSync(w.csvPath, 'utf8'), 'epoch,loss\n1,2\n2,1\n3,0.5\n');
});

test('metrics.jsonl and metrics.csv that disagree (a changed value, a renamed key, a lost tail, a row too many): a RunFileError naming both', (t) => {
  const cases: Array<[string, (jsonl: string, csv: string) => void, RegExp]> = [
    ['a changed value', (j) => fs.writeFileSync(j, fs.readFileSync(j, 'utf8').replace('"loss":1', '"loss":7')), /record 2 of metrics\.jsonl is not row 2 of metrics\.csv \(line 3\): loss differs/],
    ['a renamed key', (j) => fs.writeFileSync(j, fs.readFileSync(j, 'utf8').replace('{"epoch":2', '{"epocj":2')), /record 2 of metrics\.jsonl is not row 2 of metrics\.csv \(line 3\): epoch differs/],
    ['a lost tail', (j) => fs.writeFileSync(j, '{"epoch":1,"loss":2}\n'), /metrics\.csv has 3 rows, metrics\.jsonl 1 record\)/],
    ['a CSV cut short by two rows', (_, c) => fs.writeFileSync(c, 'epoch,loss\n1,2\n'), /metrics\.csv ends after 1 row, metrics\.jsonl holds 3 records\)/],
    ['a CSV saved by a spreadsheet', (_, c) => fs.writeFileSync(c, 'epoch,loss\n1,2.0\n2,1.0\n3,0.5\n'), /record 1 of metrics\.jsonl is not row 1 of metrics\.csv \(line 2\): loss differs/],
  ];
  for (const [name, change, where] of cases) {
    const dir = tmp();
    const w = new MetricsWriter(dir);
    for (const [epoch, loss] of [[1, 2], [2, 1], [3, 0.5]]) w.write({ epoch, loss });
    change(w.jsonlPath, w.csvPath);
    const e = t.throws(() => new MetricsWriter(dir), { instanceOf: RunFileError }, name)!;
    t.true(e.message.startsWith(`${w.jsonlPath} and ${w.csvPath} disagree (`), e.message);
    t.regex(e.message, where, name);
    t.regex(e.message, /If metrics\.jsonl is right, delete metrics\.csv \(a resumed run writes it again from metrics\.jsonl\); otherwise restore metrics\.jsonl, or start a new run$/);
    // the advice works when metrics.jsonl is the right one
    fs.rmSync(w.csvPath);
    t.notThrows(() => new MetricsWriter(dir), name);
  }
});

test('metrics.csv with a damaged header: a RunFileError naming it; once deleted it is written again from metrics.jsonl', (t) => {
  for (const [header, message] of [
    ['"epoch,loss\n', /its header line \(line 1\) is not CSV/],
    ['epoch,,loss\n', /has an empty column name/],
    ['epoch,epoch\n', /names the column "epoch" twice/],
  ] as const) {
    const dir = metricsDir([]);
    const csv = path.join(dir, 'metrics.csv');
    fs.writeFileSync(csv, header + '1,2\n');
    const e = t.throws(() => new MetricsWriter(dir), { instanceOf: RunFileError })!;
    t.true(e.message.startsWith(`${csv}: `), e.message);
    t.regex(e.message, message);
    t.regex(e.message, /Delete metrics\.csv: a resumed run writes it again from the JSONL file beside it$/);
    fs.rmSync(csv);
    const w = new MetricsWriter(dir);
    t.deepEqual(w.csvColumns, ['epoch', 'loss']);
    w.write({ epoch: 3, loss: 0.5 });
    t.is(fs.readFileSync(csv, 'utf8'), 'epoch,loss\n1,2\n2,1\n3,0.5\n');
  }
});

test('report.json reads back; a missing one means the run has not finished; a damaged one names the file', (t) => {
  const dir = tmp();
  const file = path.join(dir, 'report.json');
  t.is(readRunReport(file), null);
  const report = { test_error: 0.2, test_loss: 0.6, retrained: true, params: 1000, mmac_per_image: 0.5, flops_per_image: 1e6, widths: [4, 5], seed_params: 900, wall_seconds: 12, uniform_baseline: null };
  writeJsonFile(file, report);
  t.deepEqual(readRunReport(file), report);
  fs.writeFileSync(file, JSON.stringify({ ...report, uniform_baseline: { width: 4, params: 1100, mmac_per_image: 0.6 } }));
  const e = t.throws(() => readRunReport(file), { instanceOf: RunFileError });
  t.regex(e!.message, /report\.json: the result of this run is damaged: "uniform_baseline\.test_error" must be a number, not missing/);
});

test('run.json: the recorded machine reads back; one not of its shape is dropped, not an error', (t) => {
  const dir = tmp();
  const manifest = { command: 'train', nasgrow: '0.1.0', data: { train: 'a', test: 'b' }, arch: {}, hardware: hardwareInfo('cpu', 2) };
  writeJsonFile(path.join(dir, 'run.json'), manifest);
  const m = readManifest(dir) as RunManifest;
  t.deepEqual(m.hardware, manifest.hardware);
  t.is(m.hardware!.device, 'cpu');
  t.is(m.hardware!.gpu, null);
  t.regex(describeHardware(m.hardware!), /^2 threads on .+ \(\d+ CPUs\)$/);
  // the NCHWc block the CPU lowering used, on which the numbers depend, reads back and is shown
  const blocked = { ...manifest, hardware: hardwareInfo('cpu', 1, 16) };
  writeJsonFile(path.join(dir, 'run.json'), blocked);
  t.is((readManifest(dir) as RunManifest).hardware!.nchwcBlock, 16);
  t.regex(describeHardware(blocked.hardware), /^1 thread on .+ \(\d+ CPUs, NCHWc block 16\)$/);
  t.regex(describeHardware(hardwareInfo('cpu', 1, 0)), /, no NCHWc kernels\)$/);
  t.false('nchwcBlock' in hardwareInfo('cuda', 1, 16));
  writeJsonFile(path.join(dir, 'run.json'), { ...manifest, hardware: { cpu: 3 } });
  t.false('hardware' in readManifest(dir));
  // on a CUDA run the GPU's name comes from nvidia-smi, null where there is none
  const cuda = hardwareInfo('cuda', 1);
  t.true(cuda.gpu === null || typeof cuda.gpu === 'string');
  t.is(describeHardware({ ...cuda, gpu: 'NVIDIA H200', cpus: 16 }), 'cuda, NVIDIA H200 (host: 16 CPUs)');
});
