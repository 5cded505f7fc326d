// Which screen shows, and for the order screens which list state or order. One store, so
// the home screen's counts can open a filtered list and a list row its detail.
import { writable } from "svelte/store";
import type { MessageKey } from "./i18n";
import { clearFilters, initialState, type ListState } from "./orderQuery";

// "guide" (the setup guide) is opened from the first start and from Settings, not the sidebar.
export type Screen = "home" | "orders" | "bulkCapture" | "subscriptions" | "sales" | "settings" | "guide";

export const screens: { id: Screen; label: MessageKey }[] = [
  { id: "home", label: "nav.home" },
  { id: "orders", label: "nav.orders" },
  { id: "bulkCapture", label: "nav.bulkCapture" },
  { id: "subscriptions", label: "nav.subscriptions" },
  { id: "sales", label: "nav.sales" },
  { id: "settings", label: "nav.settings" },
];

export interface Route {
  screen: Screen;
  /** The order list as last left (tab, search, filters, page). */
  list: ListState;
  /** The order whose detail shows, on the orders screen. */
  orderId: number | null;
}

export const route = writable<Route>({ screen: "home", list: initialState(), orderId: null });

/** Opens a screen. Leaving the orders screen drops the list's filters and search (tab and
 *  sort stay): a list narrowed long ago must not pass for the whole list later. */
export function go(screen: Screen) {
  route.update((r) => ({
    ...r,
    screen,
    orderId: screen === "orders" ? null : r.orderId,
    list: r.screen === "orders" && screen !== "orders" ? clearFilters(r.list) : r.list,
  }));
}

export function openList(list: ListState) {
  route.set({ screen: "orders", list, orderId: null });
}

export function openOrder(orderId: number) {
  route.update((r) => ({ ...r, screen: "orders", orderId }));
}

export function closeOrder() {
  route.update((r) => ({ ...r, orderId: null }));
}
