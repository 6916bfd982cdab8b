// Reproducible number formatting for metrics files and terminal output.

/**
 * The same number always prints the same way, with no more digits than it needs:
 * integers plainly; values exactly representable in float32 (what ONNX Runtime returns) with the
 * fewest significant digits that give the same float32 back; any other number with the fewest
 * that give the same float64 back. -0 prints as 0; NaN and ±Infinity as NaN, Infinity, -Infinity.
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'Infinity';
  if (n === -Infinity) return '-Infinity';
  if (n === 0) return '0';
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (Math.fround(n) === n) {
    for (let p = 1; p <= 9; p++) {
      const s = n.toPrecision(p);
      if (Math.fround(Number(s)) === n) return String(Number(s));
    }
  }
  return String(n);
}

/** Seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const pad = (x: number) => String(x).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}
