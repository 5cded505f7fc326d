// The sales screen's view logic (issue 21): which cell was clicked and which movements it
// asks for, and the bar chart's geometry. Pure, so it is unit-tested without a window.
import type { MovementsQuery, PaymentMethodCode, SalesFigures, SalesRow } from "./api";

/** The columns of the sales table a click can open: one method or both. */
export type CellMethod = PaymentMethodCode | "all";

/** What a click on a cell lists: the movements of its period and method. */
export function cellQuery(row: SalesRow, method: CellMethod): MovementsQuery {
  return { from: row.start, to: row.end, method: method === "all" ? null : method };
}

/** The figures of a row for a column. */
export function figuresOf(row: SalesRow, method: CellMethod): SalesFigures {
  return method === "all" ? row.total : row[method];
}

/** A row's label: the day (`12/01`) or the month (`2026/12`). */
export function periodLabel(row: SalesRow, period: "day" | "month"): string {
  const [y, m, d] = row.start.split("-");
  return period === "month" ? `${y}/${m}` : `${m}/${d}`;
}

export interface Bar {
  /** Left edge and width, in chart units. */
  x: number;
  width: number;
  /** Captured: from `y` down to the axis. */
  capturedY: number;
  capturedHeight: number;
  /** Refunded: from the axis down. */
  refundedHeight: number;
  /** Net, where the marker sits. */
  netY: number;
  label: string;
  title: string;
}

export interface Chart {
  width: number;
  height: number;
  /** The zero line. */
  axisY: number;
  bars: Bar[];
  /** The largest captured and refunded amounts the scale fits. */
  maxCaptured: number;
  maxRefunded: number;
}

/** Bars per period: captured above the zero line, refunded below it, net as a marker.
 *  One scale for both, so a refund's bar compares with a sale's. */
export function chartOf(
  rows: SalesRow[],
  period: "day" | "month",
  width = 900,
  height = 220,
  describe: (row: SalesRow) => string = (r) => r.start,
): Chart {
  const maxCaptured = Math.max(0, ...rows.map((r) => r.total.captured_yen));
  const maxRefunded = Math.max(0, ...rows.map((r) => r.total.refunded_yen));
  const span = maxCaptured + maxRefunded || 1;
  const usable = height - 20;
  const axisY = 10 + (usable * maxCaptured) / span;
  const scale = usable / span;
  const step = rows.length > 0 ? width / rows.length : width;
  const gap = Math.min(4, step * 0.2);
  const bars = rows.map((r, i) => {
    const captured = r.total.captured_yen * scale;
    return {
      x: i * step + gap / 2,
      width: Math.max(1, step - gap),
      capturedY: axisY - captured,
      capturedHeight: captured,
      refundedHeight: r.total.refunded_yen * scale,
      netY: axisY - r.total.net_yen * scale,
      label: periodLabel(r, period),
      title: describe(r),
    };
  });
  return { width, height, axisY, bars, maxCaptured, maxRefunded };
}

/** Which labels to print under the chart so they do not overlap: every n-th. */
export function labelEvery(count: number, width = 900, labelWidth = 44): number {
  if (count === 0) return 1;
  return Math.max(1, Math.ceil((count * labelWidth) / width));
}
