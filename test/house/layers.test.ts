// The layer order of src/ is enforced by dependency-cruiser (.dependency-cruiser.cjs), which
// `npm test` runs before the tests (so src/ as it is passes it). This test shows the check can fail: on
// a copy of src/ with an upward import and an import cycle added, it must report both.
import test from 'ava';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/root';

const DEPCRUISE = path.join(ROOT, 'node_modules', '.bin', 'depcruise');

function cruise(cwd: string) {
  const r = spawnSync(DEPCRUISE, ['src', '--config', '.dependency-cruiser.cjs'], { cwd, encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('the dependency check fails on an upward import and on a cycle', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-layers-'));
  fs.cpSync(path.join(ROOT, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const f of ['.dependency-cruiser.cjs', 'tsconfig.json', 'package.json']) fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  // util (the bottom layer) reaching up into the CLI
  fs.writeFileSync(path.join(dir, 'src', 'util', 'upward.ts'), "import { main } from '../cli/main';\nexport const m = main;\n");
  // two modules of one layer importing each other
  fs.writeFileSync(path.join(dir, 'src', 'models', 'loop-a.ts'), "import { b } from './loop-b';\nexport const a = () => b;\n");
  fs.writeFileSync(path.join(dir, 'src', 'models', 'loop-b.ts'), "import { a } from './loop-a';\nexport const b = () => a;\n");
  const r = cruise(dir);
  t.not(r.code, 0);
  t.regex(r.out, /layer-util: src\/util\/upward\.ts → src\/cli\/main\.ts/);
  t.regex(r.out, /no-cycles: src\/models\/loop-a\.ts/);
  fs.rmSync(dir, { recursive: true, force: true });
});
