// Payment statuses in lists and badges. The label text comes from the backend with each
// status (one dictionary, in Rust); the UI only picks a colour and the filter choices.
import type { MessageKey } from "./i18n";

export type StatusTone = "action" | "ok" | "progress" | "muted" | "danger";

/** The colour family of a gateway status code. */
export function statusTone(code: string): StatusTone {
  switch (code) {
    case "20": // authorized: the shop still has to capture (or cancel)
    case "10":
      return "action";
    case "40":
      return "ok";
    case "30":
    case "31":
    case "42":
    case "50":
      return "progress";
    case "32":
    case "41":
    case "60":
      return "muted";
    case "11":
    case "33":
    case "15":
    case "17":
      return "danger";
    default:
      return "muted";
  }
}

/** The colour of an order's status badge: a failed renewal switched to another payment
 *  method (paid outside Paygent) is no longer a failure to act on, only a payment to check. */
export function orderTone(order: { status: { code: string }; payment_method_label?: string | null }): StatusTone {
  return order.payment_method_label ? "progress" : statusTone(order.status.code);
}

/** The payment-status filter of the order lists: each choice and the codes it covers. */
export const statusFilters: { id: string; key: MessageKey; codes: string[] }[] = [
  { id: "authorized", key: "orders.status.authorized", codes: ["20"] },
  { id: "captured", key: "orders.status.captured", codes: ["40", "41"] },
  { id: "cancelled", key: "orders.status.cancelled", codes: ["32"] },
  { id: "refunded", key: "orders.status.refunded", codes: ["60", "42", "50"] },
  { id: "lapsed", key: "orders.status.lapsed", codes: ["33"] },
  { id: "failed", key: "orders.status.failed", codes: ["11"] },
];

/** The codes of a filter choice; empty (any status) for an unknown or empty id. */
export function statusCodesFor(id: string): string[] {
  return statusFilters.find((f) => f.id === id)?.codes ?? [];
}
