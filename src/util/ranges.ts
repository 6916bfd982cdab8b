// Integer lists written as ranges: SLURM's --array=0-3,5,7-8 and the seed lists of a table.

/**
 * `[0,1,2,3,5,7,8]` as "0-3,5,7-8" (sorted, duplicates dropped); `separator` goes between the parts
 * (", " for prose).
 */
export function integerRanges(values: number[], separator = ','): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(separator);
}
