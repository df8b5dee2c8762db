/** One measured figure and the target it is held to. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: { op: '>=' | '<='; value: number };
}

export const met = (f: Figure) => !f.target || (f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value);

export function format(f: Figure): string {
  const v = Number.isInteger(f.value) ? String(f.value) : f.value.toFixed(2);
  const t = f.target ? `  target ${f.target.op} ${f.target.value} ${f.unit}  ${met(f) ? 'MET' : 'MISSED'}` : '  (reported)';
  return `  ${f.name.padEnd(58)} ${v.padStart(10)} ${f.unit.padEnd(6)}${t}`;
}

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
