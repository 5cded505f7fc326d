import { describe, expect, it } from "vitest";
import { get } from "svelte/store";
import type { BulkRunDetail } from "../bindings";
import { dispatch } from "./events";
import { bulkLive } from "./bulkEvents";
import { desk } from "./stores";
import { subscriptionsState } from "./subscriptions";

const run: BulkRunDetail = {
  summary: {
    run_id: 3,
    started_at: "2026-01-01T00:00:00Z",
    finished_at: null,
    status: "running",
    requested_by: "app",
    progress: { total: 0, succeeded: 0, failed: 0, skipped: 0, open: 0, captured_yen: 0 },
    total_yen: 0,
  } as BulkRunDetail["summary"],
  items: [],
  left_out: [],
};

describe("the one listener of backend events", () => {
  it("feeds every store that follows the backend", () => {
    const before = { desk: get(desk), subs: get(subscriptionsState) };
    dispatch({ type: "orders_changed", order_ids: [9] });
    expect(get(desk)).not.toEqual(before.desk);
    dispatch({ type: "bulk_run_started", run });
    expect(get(bulkLive).run?.summary.run_id).toBe(3);
    dispatch({ type: "mail_queue_changed" });
    expect(get(subscriptionsState).mailVersion).toBe(before.subs.mailVersion + 1);
  });
});
