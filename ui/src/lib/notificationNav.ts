// Opens the screen a clicked desktop notification leads to (see `followNotifications`).
import { requestedRun } from "./bulkEvents";
import { go, openOrder, route } from "./nav";
import { stateForCount } from "./orderQuery";
import { subscriptionsView, type NotificationTarget } from "./subscriptions";

export function openNotificationTarget(target: NotificationTarget) {
  switch (target.kind) {
    case "order":
      openOrder(target.orderId);
      return;
    case "cards":
      subscriptionsView.set({ tab: "cards", subscriptionId: null });
      go("subscriptions");
      return;
    case "nearDeadline":
      route.update((r) => ({ ...r, screen: "orders", orderId: null, list: stateForCount("near") }));
      return;
    case "bulkRun":
      requestedRun.set(target.runId);
      go("bulkCapture");
      return;
    case "none":
      return;
  }
}
