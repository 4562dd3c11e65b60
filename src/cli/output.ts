/**
 * Writes a result: JSON for scripts, or the human text.
 *
 * @example
 * print(json, result, 'database is current');
 */
export function print(json: boolean, value: unknown, text: string): void {
  process.stdout.write(json ? JSON.stringify(value, null, 2) + '\n' : text + '\n');
}

/**
 * A plain-text table with a header row, columns padded to their widest cell.
 *
 * @example
 * table(['ID', 'STATUS'], [['conn_1', 'active']]);
 */
export function table(headers: string[], rows: (string | null)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((v) => v ?? '-'))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((v, i) => v.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A comma-separated option as a list (undefined when the option was not given). */
export const commaList = (v: string | undefined) =>
  v === undefined ? undefined : v.split(',').filter(Boolean);
