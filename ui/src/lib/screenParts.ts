// Each screen's code is its own chunk, fetched when the screen is first opened: the
// window's first frame needs only the shell, so less script is parsed before it, and a
// window that only ever shows Home never holds the other screens' code (issue 22).
import type { Component } from "svelte";
import type { Route, Screen } from "./nav";

/** What fills the main area: a screen, or the orders screen's order detail. */
export type Part = Screen | "orderDetail";

type Module = { default: Component<any> };

const loaders: Record<Part, () => Promise<Module>> = {
  home: () => import("../screens/Home.svelte"),
  orders: () => import("../screens/Orders.svelte"),
  orderDetail: () => import("../screens/OrderDetail.svelte"),
  bulkCapture: () => import("../screens/BulkCapture.svelte"),
  subscriptions: () => import("../screens/Subscriptions.svelte"),
  sales: () => import("../screens/Sales.svelte"),
  settings: () => import("../screens/Settings.svelte"),
  guide: () => import("../screens/Guide.svelte"),
};

const loading = new Map<Part, Promise<Module>>();

export function partOf(route: Route): Part {
  return route.screen === "orders" && route.orderId !== null ? "orderDetail" : route.screen;
}

/** The part's component, fetched once; a failed fetch is tried again on the next call. */
export function loadPart(part: Part): Promise<Module> {
  let module = loading.get(part);
  if (!module) {
    module = loaders[part]();
    loading.set(part, module);
    module.catch(() => loading.delete(part));
  }
  return module;
}
