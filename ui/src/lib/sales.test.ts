import { describe, expect, it } from "vitest";
import type { SalesFigures, SalesRow } from "./api";
import { cellQuery, chartOf, figuresOf, labelEvery, periodLabel } from "./sales";

const f = (captured: number, refunded: number): SalesFigures => ({
  captured_yen: captured,
  captures: captured > 0 ? 1 : 0,
  refunded_yen: refunded,
  refunds: refunded > 0 ? 1 : 0,
  net_yen: captured - refunded,
});

const row = (start: string, end: string, card: SalesFigures, paidy: SalesFigures): SalesRow => ({
  start,
  end,
  card,
  paidy,
  total: {
    captured_yen: card.captured_yen + paidy.captured_yen,
    captures: card.captures + paidy.captures,
    refunded_yen: card.refunded_yen + paidy.refunded_yen,
    refunds: card.refunds + paidy.refunds,
    net_yen: card.net_yen + paidy.net_yen,
  },
});

describe("sales", () => {
  const rows = [
    row("2026-11-01", "2026-11-30", f(3000, 0), f(1000, 0)),
    row("2026-12-01", "2026-12-06", f(0, 2000), f(0, 0)),
  ];

  it("a cell asks for its period and method", () => {
    expect(cellQuery(rows[0], "card")).toEqual({ from: "2026-11-01", to: "2026-11-30", method: "card" });
    expect(cellQuery(rows[1], "all")).toEqual({ from: "2026-12-01", to: "2026-12-06", method: null });
    expect(figuresOf(rows[0], "paidy").captured_yen).toBe(1000);
    expect(figuresOf(rows[0], "all").captured_yen).toBe(4000);
  });

  it("labels days and months", () => {
    expect(periodLabel(rows[0], "month")).toBe("2026/11");
    expect(periodLabel(rows[1], "day")).toBe("12/01");
  });

  it("draws captured above and refunded below one zero line on one scale", () => {
    const c = chartOf(rows, "month", 200, 120);
    expect(c.maxCaptured).toBe(4000);
    expect(c.maxRefunded).toBe(2000);
    // 100 units usable: 4000 above, 2000 below the axis.
    expect(c.axisY).toBeCloseTo(10 + (100 * 4000) / 6000);
    expect(c.bars[0].capturedHeight).toBeCloseTo(c.axisY - 10);
    expect(c.bars[0].capturedY).toBeCloseTo(10);
    expect(c.bars[1].refundedHeight).toBeCloseTo((100 * 2000) / 6000);
    expect(c.bars[1].netY).toBeCloseTo(c.axisY + c.bars[1].refundedHeight);
    expect(c.bars[1].x).toBeGreaterThan(c.bars[0].x + c.bars[0].width);
  });

  it("an empty range draws an axis and no bars", () => {
    const c = chartOf([], "day");
    expect(c.bars).toEqual([]);
    expect(Number.isFinite(c.axisY)).toBe(true);
  });

  it("thins the labels of long ranges", () => {
    expect(labelEvery(12)).toBe(1);
    expect(labelEvery(366)).toBe(18);
  });
});
