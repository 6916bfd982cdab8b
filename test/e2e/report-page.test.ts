// Figures and the report page, from a small real `nasgrow run` and `nasgrow train` on the bundled
// sample: Figure 2 (`plot arch`) against estimates.csv and the phases' arch.json, the `plot run` chart
// against metrics.jsonl, determinism, bad input, and report.html opened in headless Chromium
// (Debian's `chromium`, driven by playwright-core) with no console error and every figure shown.
import test from 'ava';
import { spawnSync } from 'child_process';
import { parse } from 'csv-parse/sync';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from '../helpers/root';
import { tempDir } from '../helpers/temp-dir';

const BIN = path.join(ROOT, 'bin', 'nasgrow');
const CHROMIUM = process.env.NASGROW_CHROMIUM ?? '/usr/bin/chromium';
const tmp = tempDir('nasgrow-report-');
const RUN = path.join(tmp, 'grown');
const TRAIN = path.join(tmp, 'trained');

const cli = (args: string[]) => {
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
};

function config(): string {
  const file = path.join(tmp, 'small.yaml');
  fs.writeFileSync(
    file,
    [
      'seed: 3',
      'model: { family: vgg19, width: 4 }',
      'data:',
      '  dataset: fashion-mnist',
      `  path: ${path.join(ROOT, 'data', 'sample', 'fashion-mnist')}`,
      '  limit_train: 640',
      '  limit_test: 200',
      '  augment: { crop: false, flip: false }',
      'train: { batch_size: 32, lr: 0.05, schedule: cosine, epochs: 1 }',
      'grow: { cycles: 2, phase_epochs: 1, lambda_p: 1.0e-6, retrain_epochs: 1, final_batches: 2, uniform_baseline: true }',
      'runtime: { threads: 1 }',
    ].join('\n'),
  );
  return file;
}

test.before(() => {
  const cfg = config();
  const grown = cli(['run', cfg, '--out', RUN]);
  if (grown.code !== 0) throw new Error(`nasgrow run failed:\n${grown.out}`);
  const trained = cli(['train', cfg, '--out', TRAIN]);
  if (trained.code !== 0) throw new Error(`nasgrow train failed:\n${trained.out}`);
});

const attrs = (tag: string) => Object.fromEntries([...tag.matchAll(/([\w-]+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
const rgb = (fill: string) => (/^rgb\((\d+),(\d+),(\d+)\)$/.exec(fill) ?? []).slice(1).map(Number);
const phaseDirs = () => fs.readdirSync(path.join(RUN, 'phases')).sort().map((n) => path.join(RUN, 'phases', n));
const widths = (archFile: string) => (JSON.parse(fs.readFileSync(archFile, 'utf8')) as { layers: Array<{ name: string; width: number }> }).layers;

test('run and train each leave a report.html', (t) => {
  t.true(fs.existsSync(path.join(RUN, 'report.html')));
  t.true(fs.existsSync(path.join(TRAIN, 'report.html')));
  // the uniform baseline: its numbers in words, its architecture among the files
  const page = fs.readFileSync(path.join(RUN, 'report.html'), 'utf8');
  const u = JSON.parse(fs.readFileSync(path.join(RUN, 'report.json'), 'utf8')).uniform_baseline as { width: number; test_error: number };
  t.regex(page, new RegExp(`<td>uniform baseline</td><td>width ${u.width}: [\\d,]+ parameters, [\\d.]+ MMAC per image, test error ${(100 * u.test_error).toFixed(2)}%, test loss [\\d.]+</td>`));
  t.true(page.includes('<a href="uniform-baseline/arch.json">arch.json</a>'));
  t.true(page.includes('Regenerate this page with <code>nasgrow report DIR</code>, DIR being this page\'s folder'), page.slice(0, 2000));
});

test('plot arch: a column per layer, a cell per channel, colours and applied marks as estimates.csv says', (t) => {
  const out = path.join(tmp, 'fig-arch');
  const r = cli(['plot', 'arch', RUN, '--out', out]);
  t.is(r.code, 0, r.out);
  const dirs = phaseDirs();
  t.is(dirs.length, 2);
  dirs.forEach((dir, k) => {
    const svgFile = path.join(out, `arch-phase-0${k + 1}.svg`);
    t.true(fs.existsSync(svgFile.replace(/svg$/, 'png')));
    const svg = fs.readFileSync(svgFile, 'utf8');
    const layers = widths(path.join(dir, 'arch.json'));
    const columns = [...svg.matchAll(/<g class="layer"[^>]*>/g)].map((m) => attrs(m[0]));
    t.deepEqual(columns.map((c) => c['data-layer']), layers.map((l) => l.name), 'one column per dense layer, in order');
    const cells = [...svg.matchAll(/<rect class="cell"[^>]*>/g)].map((m) => attrs(m[0]));
    const rows = parse(fs.readFileSync(path.join(dir, 'estimates.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    for (const l of layers) t.is(cells.filter((c) => c['data-layer'] === l.name).length, l.width, `${l.name}: cells = width`);
    t.is(cells.length, rows.length);
    let red = 0;
    let blue = 0;
    for (const row of rows) {
      const cell = cells.find((c) => c['data-layer'] === row.layer && c['data-channel'] === row.channel)!;
      const margin = Number(row.margin);
      const [R, , B] = rgb(cell.fill!);
      if (row.chosen === '' || row.margin === '' || !Number.isFinite(margin)) t.is(cell.fill, '#ffffff');
      else if (margin <= 0) t.is(cell.fill, '#d9d9d9', `${row.layer}/${row.channel}: margin ${margin} ≤ 0 is grey`);
      else if (row.chosen === 'split') {
        red++;
        t.true(R! > B!, `${row.layer}/${row.channel}: split with margin ${margin} > 0 is red (${cell.fill})`);
      } else {
        blue++;
        t.true(B! > R!, `${row.layer}/${row.channel}: prune with margin ${margin} > 0 is blue (${cell.fill})`);
      }
      t.is(cell['data-applied'], row.applied);
    }
    t.true(red + blue > 0, 'some channel has a positive tradeoff');
    const applied = [...svg.matchAll(/<circle class="applied"[^>]*>/g)].map((m) => attrs(m[0]));
    t.deepEqual(
      applied.map((a) => `${a['data-layer']}/${a['data-channel']}`).sort(),
      rows.filter((x) => x.applied === '1').map((x) => `${x.layer}/${x.channel}`).sort(),
    );
    // the growth rows: every phase's widths, then the found architecture
    const growth = [...svg.matchAll(/<g class="growth-row"[^>]*>/g)].map((m) => attrs(m[0]));
    const expected = [...dirs.map((d) => widths(path.join(d, 'arch.json'))), widths(path.join(RUN, 'arch.json'))].map((ls) => ls.map((l) => l.width).join(','));
    t.deepEqual(growth.map((g) => g['data-widths']), expected);
  });
});

test('plot run: loss, test accuracy, parameters and MACs for every epoch record, widths of every phase', (t) => {
  const out = path.join(tmp, 'fig-run');
  const r = cli(['plot', 'run', RUN, '--out', out]);
  t.is(r.code, 0, r.out);
  t.true(fs.existsSync(path.join(out, 'run.png')));
  const svg = fs.readFileSync(path.join(out, 'run.svg'), 'utf8');
  const labels = new Set([...svg.matchAll(/aria-label="([^"]*\|[^"]*)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&')));
  const records = fs.readFileSync(path.join(RUN, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | string | null>);
  records.forEach((rec, i) => {
    t.true(labels.has(`train loss | ${rec.kind} | ${i + 1} | ${rec.train_loss}`), `train loss of record ${i + 1}`);
    t.true(labels.has(`parameters | ${rec.kind} | ${i + 1} | ${rec.params}`), `parameters of record ${i + 1}`);
    t.true([...labels].some((l) => l.startsWith(`MACs | ${rec.kind} | ${i + 1} | `)), `MACs of record ${i + 1}`);
    if (typeof rec.test_acc === 'number') t.true(labels.has(`test accuracy | ${rec.kind} | ${i + 1} | ${rec.test_acc}`), `test accuracy of record ${i + 1}`);
  });
  // the retraining and the baseline are tested once, at their ends: their points come from report.json
  const report = JSON.parse(fs.readFileSync(path.join(RUN, 'report.json'), 'utf8')) as { test_error: number; uniform_baseline: { test_error: number } };
  const lastOf = (kind: string) => records.map((r) => r.kind).lastIndexOf(kind) + 1;
  t.true(labels.has(`test accuracy | retrain | ${lastOf('retrain')} | ${1 - report.test_error}`), 'the retraining\'s test accuracy');
  t.true(labels.has(`test accuracy | baseline | ${lastOf('baseline')} | ${1 - report.uniform_baseline.test_error}`), 'the baseline\'s test accuracy');
  for (const [k, dir] of phaseDirs().entries()) {
    for (const l of widths(path.join(dir, 'arch.json'))) t.true(labels.has(`width | phase ${k + 1} | ${l.name} | ${l.width}`));
  }
  for (const l of widths(path.join(RUN, 'arch.json'))) t.true(labels.has(`width | found | ${l.name} | ${l.width}`));
});

test('figures and the page are deterministic: the same run folder gives the same bytes', (t) => {
  for (const what of ['arch', 'run']) {
    const a = path.join(tmp, `det-${what}-a`);
    const b = path.join(tmp, `det-${what}-b`);
    t.is(cli(['plot', what, RUN, '--out', a]).code, 0);
    t.is(cli(['plot', what, RUN, '--out', b]).code, 0);
    for (const f of fs.readdirSync(a).filter((n) => n.endsWith('.svg'))) t.true(fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))), `${what}: ${f}`);
  }
  const before = fs.readFileSync(path.join(RUN, 'report.html'));
  t.is(cli(['report', RUN]).code, 0);
  t.true(fs.readFileSync(path.join(RUN, 'report.html')).equals(before), 'nasgrow report rewrites the page the run wrote, byte for byte');
});

test('bad input exits 1 naming the path or flag, and writes nothing', (t) => {
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  for (const args of [['plot', 'arch', empty], ['plot', 'run', empty], ['report', empty]]) {
    const r = cli(args);
    t.is(r.code, 1, r.out);
    t.regex(r.out, /RUN .*empty-.* is not a run folder/);
    t.deepEqual(fs.readdirSync(empty), []);
  }
  const missing = cli(['plot', 'run', path.join(tmp, 'nope')]);
  t.is(missing.code, 1);
  t.regex(missing.out, /RUN .*nope: no such folder/);
  const out = path.join(tmp, 'never');
  const phase = cli(['plot', 'arch', RUN, '--phase', '3', '--out', out]);
  t.is(phase.code, 1, phase.out);
  t.regex(phase.out, /--phase 3 is not a phase of .* pass one of 1, 2/);
  const trainArch = cli(['plot', 'arch', TRAIN, '--out', out]);
  t.is(trainArch.code, 1, trainArch.out);
  t.regex(trainArch.out, /no phase with an estimates\.csv.*plot run/);
  t.false(fs.existsSync(out));
});

test('report.html loads in headless Chromium with no console error and shows every figure', async (t) => {
  if (!fs.existsSync(CHROMIUM)) {
    t.fail(`Chromium is not installed at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (Debian; .ci/run does), or set NASGROW_CHROMIUM to a Chrome/Chromium binary`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  try {
    for (const [dir, phases] of [[RUN, 2], [TRAIN, 0]] as const) {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) problems.push(`network request: ${r.url()}`);
      });
      page.on('requestfailed', (r) => problems.push(`failed request: ${r.url()}`));
      await page.goto(`file://${path.join(dir, 'report.html')}`, { waitUntil: 'load' });
      await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
      const figures = [['#figure-run svg', 1], ['figure[id^="figure-arch-"] svg', phases]] as const;
      for (const [selector, count] of figures) {
        const boxes = await page.locator(selector).evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((b) => [b.width, b.height]));
        t.is(boxes.length, count, `${dir}: ${selector}`);
        for (const [w, h] of boxes) t.true(w! > 200 && h! > 100, `${dir}: ${selector} is drawn (${w}x${h})`);
      }
      t.true(await page.locator('table.result').isVisible());
      const links = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.getAttribute('href')!));
      t.true(links.every((h) => !/^[a-z]+:/.test(h)), 'links are relative');
      if (phases > 0) {
        for (const k of [1, 2]) for (const f of ['train.onnx', 'grow.onnx', 'estimates.csv']) t.true(links.includes(`phases/phase-0${k}/${f}`), `link to phase ${k}'s ${f}`);
      }
      t.deepEqual(problems, [], dir);
      await page.close();
    }
  } finally {
    await browser.close();
  }
});
