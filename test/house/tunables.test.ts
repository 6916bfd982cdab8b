// glibc's malloc settings appear where a process starts (bin/nasgrow, the PyTorch reference scripts)
// and where the benchmark re-executes itself (src/util/allocator.ts); they must be the same string.
import test from 'ava';
import * as fs from 'fs';
import * as path from 'path';
import { ALLOCATOR_TUNABLES } from '../../src/util/allocator';
import { ROOT } from '../helpers/root';

test('the glibc tunables are the same in bin/nasgrow, src/util/allocator.ts and the reference scripts', (t) => {
  t.regex(ALLOCATOR_TUNABLES, /^glibc\.malloc\.mmap_threshold=\d+:glibc\.malloc\.trim_threshold=\d+$/);
  for (const f of ['bin/nasgrow', 'test/reference/nasgrow_ref.py', 'bench/torch_bench.py']) {
    t.true(fs.readFileSync(path.join(ROOT, f), 'utf8').includes(ALLOCATOR_TUNABLES), `${f} does not hold ${ALLOCATOR_TUNABLES}`);
  }
});
