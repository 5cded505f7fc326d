import { describe, expect, it } from "vitest";
import type { BulkItem, BulkRunDetail, BulkRunSummary } from "../bindings";
import { addAll, initialFilters, initialLive, pageCount, percent, reduceLive, toQuery, toggle } from "./bulk";

describe("toQuery", () => {
  it("asks for every list, first page, by default", () => {
    expect(toQuery(initialFilters)).toEqual({
      method: null,
      list: null,
      selectable_only: false,
      failed_only: false,
      shipped_only: false,
      search: null,
      page: 0,
      page_size: 50,
    });
  });
  it("passes filters and trimmed search", () => {
    const q = toQuery({ ...initialFilters, search: " 山田 ", method: "paidy", list: "completed", failedOnly: true, shippedOnly: true, page: 2 });
    expect(q).toMatchObject({ method: "paidy", list: "completed", failed_only: true, shipped_only: true, search: "山田", page: 2 });
  });
});

describe("selection", () => {
  it("keeps the selection order and stops at the limit", () => {
    let s = toggle([], 3, 2);
    s = toggle(s.selection, 1, 2);
    expect(s.selection).toEqual([3, 1]);
    const full = toggle(s.selection, 9, 2);
    expect(full).toEqual({ selection: [3, 1], limited: true });
    expect(toggle(full.selection, 3, 2).selection).toEqual([1]);
  });
  it("adds a page without duplicates, up to the limit", () => {
    expect(addAll([2], [1, 2, 3], 5)).toEqual({ selection: [2, 1, 3], limited: false });
    expect(addAll([2], [1, 2, 3, 4], 3)).toEqual({ selection: [2, 1, 3], limited: true });
  });
});

describe("paging and progress", () => {
  it("counts pages and the bar", () => {
    expect(pageCount(0, 50)).toBe(1);
    expect(pageCount(101, 50)).toBe(3);
    expect(percent(0, 0)).toBe(0);
    expect(percent(25, 50)).toBe(50);
    expect(percent(50, 50)).toBe(100);
  });
});

function item(order_id: number, status: BulkItem["status"]): BulkItem {
  return {
    order_id,
    position: order_id,
    order_number: `O${order_id}`,
    transaction_id: `T${order_id}`,
    amount_yen: 1000,
    status,
    attempts: 0,
    error_code: null,
    error_detail: null,
    skip_reason: null,
    line: null,
    explanation: null,
    settled_at: null,
  };
}

function summary(run_id: number, succeeded: number): BulkRunSummary {
  return {
    run_id,
    started_at: "2026-01-01T00:00:00Z",
    finished_at: null,
    status: "running",
    requested_by: "app",
    progress: { total: 2, succeeded, failed: 0, skipped: 0, open: 2 - succeeded, captured_yen: succeeded * 1000 },
    total_yen: 2000,
    stop_code: null,
    summary: { ja: "", en: "" },
    message: null,
  };
}

describe("reduceLive", () => {
  const run: BulkRunDetail = { summary: summary(7, 0), items: [item(1, "pending"), item(2, "pending")], left_out: [] };

  it("follows a run from start to finish", () => {
    let s = reduceLive(initialLive, { type: "bulk_run_started", run });
    s = reduceLive(s, {
      type: "bulk_item_changed",
      run_id: 7,
      item: item(2, "succeeded"),
      progress: summary(7, 1).progress,
    });
    expect(s.run?.items.map((i) => i.status)).toEqual(["pending", "succeeded"]);
    expect(s.run?.summary.progress.succeeded).toBe(1);
    s = reduceLive(s, { type: "bulk_run_finished", run: { ...summary(7, 2), status: "finished" } });
    expect(s.run?.summary.status).toBe("finished");
    expect(s.finishedVersion).toBe(1);
  });

  it("ignores another run's items", () => {
    const s = reduceLive({ ...initialLive, run }, { type: "bulk_item_changed", run_id: 8, item: item(1, "failed"), progress: summary(8, 0).progress });
    expect(s.run?.items[0].status).toBe("pending");
  });
});
