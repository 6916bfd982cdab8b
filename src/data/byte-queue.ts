// A FIFO of byte chunks from a stream, read back in pieces of any size. The tar reader needs exact
// 512-byte headers and file bodies that straddle the (arbitrary) chunk boundaries of a gunzip stream.

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Offset of the first unread byte inside chunks[0]. */
  private head = 0;
  private total = 0;

  get length(): number {
    return this.total;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  /** Removes and returns the next `n` bytes (n <= length). A view when they lie in one chunk, else a copy. */
  take(n: number): Buffer {
    if (n > this.total) throw new RangeError(`ByteQueue.take(${n}) with only ${this.total} bytes queued`);
    this.total -= n;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= n) {
      const out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0];
      const m = Math.min(n - filled, c.length - this.head);
      c.copy(out, filled, this.head, this.head + m);
      filled += m;
      this.head += m;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return out;
  }

  /** Drops the next `n` bytes (n <= length) without copying them. */
  skip(n: number): void {
    if (n > this.total) throw new RangeError(`ByteQueue.skip(${n}) with only ${this.total} bytes queued`);
    this.total -= n;
    while (n > 0) {
      const c = this.chunks[0];
      const m = Math.min(n, c.length - this.head);
      n -= m;
      this.head += m;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
  }
}
