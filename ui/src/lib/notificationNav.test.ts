import { get } from "svelte/store";
import { beforeEach, describe, expect, it } from "vitest";
import { requestedRun } from "./bulkEvents";
import { route } from "./nav";
import { initialState } from "./orderQuery";
import { openNotificationTarget } from "./notificationNav";
import { subscriptionsView } from "./subscriptions";

describe("a clicked notification opens its screen", () => {
  beforeEach(() => {
    route.set({ screen: "home", list: initialState(), orderId: null });
    requestedRun.set(null);
    subscriptionsView.set({ tab: "mail", subscriptionId: 3 });
  });

  it("opens a failed renewal's order", () => {
    openNotificationTarget({ kind: "order", orderId: 42 });
    expect(get(route)).toMatchObject({ screen: "orders", orderId: 42 });
  });

  it("opens the card dashboard", () => {
    openNotificationTarget({ kind: "cards" });
    expect(get(route).screen).toBe("subscriptions");
    expect(get(subscriptionsView)).toEqual({ tab: "cards", subscriptionId: null });
  });

  it("opens the order list filtered to near deadlines", () => {
    route.set({ screen: "orders", list: initialState(), orderId: 9 });
    openNotificationTarget({ kind: "nearDeadline" });
    expect(get(route)).toMatchObject({ screen: "orders", orderId: null, list: { deadline: "near", page: 0 } });
  });

  it("opens the bulk screen at the finished run", () => {
    openNotificationTarget({ kind: "bulkRun", runId: 5 });
    expect(get(route).screen).toBe("bulkCapture");
    expect(get(requestedRun)).toBe(5);
  });

  it("stays put for a notification that leads nowhere", () => {
    openNotificationTarget({ kind: "none" });
    expect(get(route).screen).toBe("home");
    expect(get(requestedRun)).toBeNull();
  });
});
