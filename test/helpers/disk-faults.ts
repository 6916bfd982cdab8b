// A disk that fails on purpose, in-process: fs.writeSync replaced for the length of a call, so that a
// test can give a write(2) that takes part of the bytes (a nearly full disk), then ENOSPC or nothing.
import fs = require('fs');

type WriteSync = (fd: number, buf: Buffer, off: number, len: number) => number;

/** Run `body` with fs.writeSync replaced by `fake` (given the real one); restored afterwards. */
export function withWriteSync<T>(fake: (real: WriteSync, fd: number, buf: Buffer, off: number, len: number) => number, body: () => T): T {
  const real = fs.writeSync;
  fs.writeSync = ((fd: number, buf: Buffer, off: number, len: number) => fake(real as WriteSync, fd, buf, off, len)) as typeof fs.writeSync;
  try {
    return body();
  } finally {
    fs.writeSync = real;
  }
}

/** What write(2) does on a full disk. */
export const enospc = (): never => {
  throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
};

/** A disk that takes `part(len)` bytes of the first write and then answers every write with `then`. */
export function partThen(part: (len: number) => number, then: () => number) {
  let first = true;
  return (real: WriteSync, fd: number, buf: Buffer, off: number, len: number) => {
    if (!first) return then();
    first = false;
    return real(fd, buf, off, part(len));
  };
}
