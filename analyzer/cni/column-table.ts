/**
 * Tables printed through Go's tabwriter (calicoctl, cilium): a header whose column names may
 * hold single spaces (`SERVICE ADDRESS`, `POLICY (ingress)`), columns separated by runs of at
 * least two spaces, and every row padded so that its cells start where the header's do. Cells
 * are cut at the header's column starts, so an empty cell (no IPv6 address) or a value with
 * spaces (a Calico selector `foo == 'bar'`) stays in its column.
 *
 *   NAME           CIDR          SELECTOR
 *   ippool-name1   10.0.1.0/24   foo == 'bar'
 */

export interface TableColumn {
  name: string;
  /** Offset of the column's first character in the header line. */
  start: number;
}

/** The columns of a header line: names separated by two or more spaces. */
export function headerColumns(line: string): TableColumn[] {
  const columns: TableColumn[] = [];
  const name = /\S+(?: \S+)*/g;
  for (let match = name.exec(line); match; match = name.exec(line)) {
    columns.push({ name: match[0], start: match.index });
  }
  return columns;
}

/**
 * The cells of a row, cut at the column starts and trimmed. Undefined when the row does not
 * line up with the header: text before the first column, or a value running across a column
 * start (then the table was not printed by tabwriter, or was re-wrapped on the way).
 */
export function cutRow(line: string, columns: readonly TableColumn[]): string[] | undefined {
  if (columns.length === 0) return undefined;
  if (line.slice(0, columns[0]!.start).trim() !== '') return undefined;
  const cells: string[] = [];
  for (let i = 0; i < columns.length; i++) {
    const start = columns[i]!.start;
    if (i > 0 && start < line.length && start > 0 && !isBlank(line.charCodeAt(start - 1)) && !isBlank(line.charCodeAt(start))) {
      return undefined;
    }
    const end = i + 1 < columns.length ? columns[i + 1]!.start : line.length;
    cells.push(start < line.length ? line.slice(start, end).trim() : '');
  }
  return cells;
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
}
