// The figure building blocks without a run: Figure 2's colour rule, page-unique SVG ids, and the
// Appendix B scatter grid drawn by vega-lite (every finite point drawn, deterministic bytes).
import test from 'ava';
import { ARCH_COLOURS, cellFill, prefixSvgIds, scatterGridSvg } from '../../src/report';

const rgb = (fill: string) => (/^rgb\((\d+),(\d+),(\d+)\)$/.exec(fill) ?? []).slice(1).map(Number);

test('Figure 2 colours: red splits and blue prunes with positive margins, deeper with the margin; grey and white otherwise', (t) => {
  const [r1, g1, b1] = rgb(cellFill({ chosen: 'split', margin: 1 }, 1));
  t.deepEqual([r1, g1, b1], [...ARCH_COLOURS.split]);
  t.deepEqual(rgb(cellFill({ chosen: 'prune', margin: 1 }, 1)), [...ARCH_COLOURS.prune]);
  const faint = rgb(cellFill({ chosen: 'split', margin: 1e-6 }, 1));
  t.true(faint[0]! > faint[2]! && faint[1]! > g1!, 'a tiny positive margin is still red, and paler');
  t.is(cellFill({ chosen: 'split', margin: 0 }, 1), ARCH_COLOURS.none);
  t.is(cellFill({ chosen: 'prune', margin: -3 }, 1), ARCH_COLOURS.none);
  t.is(cellFill({ chosen: null, margin: null }, 1), ARCH_COLOURS.missing);
  t.is(cellFill({ chosen: 'split', margin: Number.NaN }, 1), ARCH_COLOURS.missing);
});

test('prefixSvgIds renames ids and their references', (t) => {
  const svg = '<defs><clipPath id="clip1"/><linearGradient id="g"/></defs><g clip-path="url(#clip1)" fill="url(#g)"/><use href="#g"/>';
  t.is(prefixSvgIds(svg, 'a'), '<defs><clipPath id="a-clip1"/><linearGradient id="a-g"/></defs><g clip-path="url(#a-clip1)" fill="url(#a-g)"/><use href="#a-g"/>');
});

test('the scatter grid draws every finite point of every panel, the same bytes twice', async (t) => {
  const panels = ['conv1', 'conv2', 'conv3'].map((title, i) => ({
    title,
    series: [
      { label: 'split', color: '#1f77b4', x: [1e-4 * (i + 1), 2e-4, Number.NaN], y: [1.1e-4, 2.2e-4, 1] },
      { label: 'prune', color: '#d62728', x: [3e-4], y: [2.5e-4] },
    ],
  }));
  const opts = { title: 'estimate vs truth', xLabel: 'true ΔL', yLabel: 'estimated ΔL', diagonal: true };
  const svg = await scatterGridSvg(panels, opts);
  t.is(await scatterGridSvg(panels, opts), svg);
  // vega-lite labels each point "x: …; y: …; series: …": 3 panels × (2 finite splits + 1 prune)
  const points = svg.match(/aria-label="x: [^"]*; series: (split|prune)"/g) ?? [];
  t.is(points.length, 9);
  t.is(points.filter((p) => p.endsWith('prune"')).length, 3);
  for (const title of ['conv1', 'conv2', 'conv3', 'split', 'prune', 'estimate vs truth']) t.true(svg.includes(`>${title}<`), title);
});
