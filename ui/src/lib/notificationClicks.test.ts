import { afterEach, describe, expect, it, vi } from "vitest";
import { get } from "svelte/store";

// The shell's event channel, replaced: the test plays the shell's `open-screen` events.
let handler: ((e: { payload: unknown }) => void) | null = null;
const unlisten = vi.fn();
vi.mock("@tauri-apps/api/event", () => ({
  listen: vi.fn(async (_name: string, h: (e: { payload: unknown }) => void) => {
    handler = h;
    return unlisten;
  }),
}));

import { followNotifications, notificationClicksReady, type NotificationTarget } from "./subscriptions";

const settle = () => new Promise((r) => setTimeout(r, 0));

afterEach(() => {
  handler = null;
  notificationClicksReady.set(false);
});

describe("following notification clicks", () => {
  it("opens a click the shell reported before the UI listened, once", async () => {
    const opened: NotificationTarget[] = [];
    const take = vi.fn().mockResolvedValueOnce({ screen: "order", target_id: 7 }).mockResolvedValue(null);
    const stop = followNotifications((t) => opened.push(t), take);
    await settle();
    await settle();
    expect(get(notificationClicksReady)).toBe(true);
    expect(opened).toEqual([{ kind: "order", orderId: 7 }]);
    stop();
    expect(unlisten).toHaveBeenCalled();
  });

  it("opens a reported click and clears the shell's copy of it", async () => {
    const opened: NotificationTarget[] = [];
    const take = vi.fn().mockResolvedValue(null);
    const stop = followNotifications((t) => opened.push(t), take);
    await settle();
    await settle();
    expect(opened).toEqual([]);
    handler?.({ payload: { screen: "bulk_run", target_id: 3 } });
    expect(opened).toEqual([{ kind: "bulkRun", runId: 3 }]);
    expect(take).toHaveBeenCalledTimes(2);
    stop();
  });
});
