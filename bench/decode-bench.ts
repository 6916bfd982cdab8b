// Times loading an image-folder dataset cold (decode every JPEG, write the cache) and warm (read the
// cache). Not a test: run by hand after building,
//   node dist/bench/decode-bench.js [archive-or-folder] [cache-dir] [concurrency]
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadImageFolder } from '../src/data/image-folder';
import { Split } from '../src/data/dataset';

async function main(): Promise<void> {
  const source = process.argv[2] ?? '/work/shared/data/cifar10-jpeg.tar.gz';
  const cacheDir = process.argv[3] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'nasgrow-decode-bench-'));
  const concurrency = process.argv[4] ? Number(process.argv[4]) : undefined;
  for (const split of ['train', 'test'] as Split[]) {
    for (const pass of ['cold', 'cached']) {
      const t0 = process.hrtime.bigint();
      const cpu0 = process.cpuUsage();
      const ds = await loadImageFolder({ path: source, split, cacheDir, concurrency });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      console.log(`${split} ${pass}: ${ds.n} images in ${s.toFixed(2)} s (${((s / ds.n) * 1e6).toFixed(0)} us/image, process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`);
    }
  }
  console.log(`cache: ${cacheDir}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
