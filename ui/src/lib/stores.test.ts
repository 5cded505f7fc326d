import { afterEach, describe, expect, it, vi } from "vitest";
import { get } from "svelte/store";
import { initialDeskState, now, reduce } from "./stores";
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
  now: "2026-12-01T12:00:00Z",
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

describe("issue 15: times on the home screen", () => {
  afterEach(() => vi.useRealTimers());

  it("gives a screen opened later the time of that moment, not the clock's last tick", () => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse("2026-12-01T12:00:00Z"));
    const stop = now.subscribe(() => {});
    stop(); // the screen showing times is left: the clock stops
    vi.setSystemTime(Date.parse("2026-12-01T12:05:00Z")); // five minutes later, no tick ran
    expect(get(now)).toBe(Date.parse("2026-12-01T12:05:00Z"));
  });

  it("keeps how far PayDesk's clock is from the window's when a status arrives", () => {
    const at = Date.parse("2026-12-01T11:00:00Z");
    const s = reduce(initialDeskState, { type: "sync_status_changed", status: sync }, at);
    expect(s.syncSkewMs).toBe(3_600_000);
  });
});
