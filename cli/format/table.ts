// Plain-text tables and quantities as kubectl prints them: columns padded with three spaces, sizes in
// binary units, ages as "5m" or "3h".

export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => (row[c] ?? '').length)));
  return rows
    .map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]!))).join('   '))
    .join('\n');
}

export function humanBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** "45s", "12m", "3h", "2d" from `time` to `now`; "-" without a time. */
export function age(time: string | Date | undefined, now: Date): string {
  if (time === undefined) return '-';
  const seconds = Math.round((now.getTime() - new Date(time).getTime()) / 1000);
  if (Number.isNaN(seconds)) return '-';
  const abs = Math.abs(seconds);
  const text =
    abs < 120
      ? `${abs}s`
      : abs < 7200
        ? `${Math.round(abs / 60)}m`
        : abs < 172800
          ? `${Math.round(abs / 3600)}h`
          : `${Math.round(abs / 86400)}d`;
  return seconds < 0 ? `in ${text}` : text;
}
