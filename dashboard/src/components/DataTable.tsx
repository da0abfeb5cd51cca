import { For, type JSX } from "solid-js";

/** One column of a DataTable: its header and how a row fills its cell. */
export interface Column<T> {
  header: JSX.Element;
  cell: (row: T) => JSX.Element;
  /** Classes for the header and every cell: `num` right-aligns, `hide-phone` hides on narrow screens. */
  class?: string;
  /** Extra classes for the cells only (say `mono small`). */
  cellClass?: string;
  headerStyle?: JSX.CSSProperties;
}

/**
 * The dashboard's list table: a scrolling wrapper, a header row from `columns`, one row per item.
 * `rowProps` puts attributes on each row (the tests find rows by `data-testid`).
 */
export function DataTable<T>(props: {
  columns: Column<T>[];
  rows: readonly T[] | undefined;
  rowProps?: (row: T) => JSX.HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string>;
  /** Without the scrolling wrapper, for a small table inside a card section. */
  bare?: boolean;
}) {
  const table = () => (
    <table>
      <thead>
        <tr>
          <For each={props.columns}>
            {(column) => (
              <th class={column.class} style={column.headerStyle}>
                {column.header}
              </th>
            )}
          </For>
        </tr>
      </thead>
      <tbody>
        <For each={props.rows}>
          {(row) => (
            <tr {...(props.rowProps?.(row) ?? {})}>
              <For each={props.columns}>
                {(column) => (
                  <td class={[column.class, column.cellClass].filter(Boolean).join(" ") || undefined}>
                    {column.cell(row)}
                  </td>
                )}
              </For>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  );
  return props.bare ? table() : <div class="table-wrap">{table()}</div>;
}
