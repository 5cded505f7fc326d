import { describe, expect, it } from "vitest";
import { initialDeskState, reduce } from "./stores";
import type { DeskEvent, SyncStatus } from "../bindings";

const sync: SyncStatus = {
  mode: "relay",
  relay_configured: true,
  relay_connected: true,
  last_event_at: null,
  last_heartbeat_at: null,
  last_poll_at: null,
  last_notice_id: null,
  missing_notices: 0,
  quarantined: 0,
  problem: null,
};

describe("desk store", () => {
  it("bumps the orders version on every change, naming the orders", () => {
    const a = reduce(initialDeskState, { type: "orders_changed", order_ids: [3, 4] });
    const b = reduce(a, { type: "orders_changed", order_ids: [5] });
    expect(a.ordersVersion).toBe(1);
    expect(b.ordersVersion).toBe(2);
    expect(b.changedOrderIds).toEqual([5]);
  });
  it("keeps the latest sync status", () => {
    const s = reduce(initialDeskState, { type: "sync_status_changed", status: sync });
    expect(s.sync).toEqual(sync);
    expect(s.ordersVersion).toBe(0);
  });
  it("records a finished operation and reloads its order", () => {
    const result = { order_id: 7, kind: "capture", outcome: "succeeded" } as unknown as Extract<
      DeskEvent,
      { type: "operation_finished" }
    >["result"];
    const s = reduce(initialDeskState, { type: "operation_finished", result });
    expect(s.lastOperation).toBe(result);
    expect(s.changedOrderIds).toEqual([7]);
    expect(s.ordersVersion).toBe(1);
  });
});
