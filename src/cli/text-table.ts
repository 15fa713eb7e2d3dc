/** A plain-text table for a terminal: columns padded to their widest cell, a rule under the header. */
export function textTable({
  header,
  rows,
  rightAligned = [],
  rule = "-",
}: {
  header: readonly string[];
  rows: readonly (readonly string[])[];
  /** Column positions padded on the left (numbers), the rest on the right. */
  rightAligned?: readonly number[];
  rule?: string;
}): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, c) => (rightAligned.includes(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => rule.repeat(w)).join("  "), ...rows.map(line)];
}
