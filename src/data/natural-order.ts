// File-name ordering for image folders: runs of digits compare by numeric value, so '2.jpg' comes
// before '10.jpg' and zero-padded names ('0002.jpg') keep their obvious order. Everything else compares
// by UTF-16 code unit, independent of locale, so the order (and so the labels' order) is the same on
// every machine.

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      let ei = i;
      let ej = j;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      // Compare the values without parsing (runs may exceed 2^53): strip leading zeros, then the
      // longer run is larger, then compare digit by digit.
      let si = i;
      let sj = j;
      while (si < ei - 1 && a.charCodeAt(si) === 48) si++;
      while (sj < ej - 1 && b.charCodeAt(sj) === 48) sj++;
      if (ei - si !== ej - sj) return ei - si - (ej - sj);
      for (let k = 0; k < ei - si; k++) {
        const d = a.charCodeAt(si + k) - b.charCodeAt(sj + k);
        if (d !== 0) return d;
      }
      // Equal values: fewer leading zeros first, so distinct names never compare equal.
      if (ei - i !== ej - j) return ei - i - (ej - j);
      i = ei;
      j = ej;
      continue;
    }
    if (ca !== cb) return ca - cb;
    i++;
    j++;
  }
  return a.length - i - (b.length - j);
}

/** Plain code-unit order, for class folder names (what Python's sorted() gives for ASCII names). */
export function codeUnitCompare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
