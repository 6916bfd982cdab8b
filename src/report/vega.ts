// Charts through vega-lite: a spec is compiled to vega and rendered headless to SVG text (vega's
// string renderer: no browser, no canvas, no network), then rasterised by sharp when a PNG is wanted.
//
// Why vega-lite + vega: a declarative spec per chart (axes, legends, facets, scales chosen by the
// library) instead of hand-placed SVG; both run in Node, render to SVG without a DOM, and their output
// is a pure function of spec and data. vega 6 is ESM-only with top-level await, which a CommonJS
// `require` cannot load, so it is loaded by a real dynamic `import()` (TypeScript would rewrite a
// literal `import()` into `require` under "module": "commonjs").
import sharp from 'sharp';
import { writeFileAtomic } from '../util/atomic-write';

type Vega = typeof import('vega');
// vega-lite's types need "moduleResolution": "node16"; this is the one function used
interface VegaLite {
  compile(spec: object, opts?: { logger?: object }): { spec: object };
}

// vega-lite prints its warnings (a dropped empty series, say) to the console: keep the terminal quiet
const quiet = { level: () => quiet, error: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet };

const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let libs: Promise<{ vega: Vega; vl: VegaLite }> | null = null;
function load(): Promise<{ vega: Vega; vl: VegaLite }> {
  libs ??= Promise.all([importEsm('vega'), importEsm('vega-lite')]).then(([vega, vl]) => ({ vega: vega as Vega, vl: vl as VegaLite }));
  return libs;
}

/** Fonts and sizes every chart shares; "sans-serif" so that the PNG (librsvg) and browsers agree. */
export const CHART_CONFIG = {
  font: 'sans-serif',
  background: 'white',
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  title: { fontSize: 13, anchor: 'start' as const },
  view: { stroke: '#bbb' },
};

/**
 * The SVG text of a vega-lite spec (a plain object as vega-lite's JSON schema describes it; data inline
 * under `data.values`). Deterministic: the same spec gives the same bytes — vega's counters for clip
 * and gradient ids are process-wide, so they are reset before every render.
 * @throws Error from vega-lite or vega when the spec is invalid (a bug in the caller, not user input).
 */
export async function renderVegaLite(spec: object): Promise<string> {
  const { vega, vl } = await load();
  const compiled = vl.compile({ config: CHART_CONFIG, ...spec }, { logger: quiet }).spec;
  const view = new vega.View(vega.parse(compiled as Parameters<Vega['parse']>[0]), { renderer: 'none', logLevel: vega.Error });
  try {
    vega.resetSVGDefIds();
    const svg = await view.toSVG();
    return svg;
  } finally {
    view.finalize();
  }
}

/** PNG bytes of SVG text, rasterised by sharp (librsvg) at `density` dpi (72: one SVG unit a pixel). */
export async function svgToPng(svg: string, density = 144): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density }).png().toBuffer();
}

/**
 * Write `svg` to `<base>.svg` and its rasterisation to `<base>.png`, each atomically.
 * @throws UserError naming the file when the file system refuses (src/util/atomic-write.ts).
 */
export async function writeSvgAndPng(base: string, svg: string): Promise<void> {
  const png = await svgToPng(svg);
  writeFileAtomic(`${base}.svg`, svg);
  writeFileAtomic(`${base}.png`, png);
}
