import type { MessageKey } from "./i18n";

export type Screen = "home" | "orders" | "bulkCapture" | "subscriptions" | "settings";

export const screens: { id: Screen; label: MessageKey }[] = [
  { id: "home", label: "nav.home" },
  { id: "orders", label: "nav.orders" },
  { id: "bulkCapture", label: "nav.bulkCapture" },
  { id: "subscriptions", label: "nav.subscriptions" },
  { id: "settings", label: "nav.settings" },
];
