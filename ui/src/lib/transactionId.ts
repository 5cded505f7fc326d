// The transaction ID (Paygent's payment ID) as the screens show it.
//
// A renewal that the gateway refused before any payment existed (P010, for example) has
// no transaction ID. The backend still stores its order, under the placeholder
// `failed:<order number>` so that the order can be kept and found by its order number;
// that placeholder is not an ID the shop owner could look up at Paygent, so the screens
// show "no transaction ID" instead of it.

/** How the backend marks an order that has no transaction ID (`crates/api` subscriptions). */
const PLACEHOLDER_PREFIX = "failed:";

/** The transaction ID to show, or `null` when the order has none (blank, or the
 *  backend's placeholder). */
export function shownTransactionId(id: string | null | undefined): string | null {
  const trimmed = (id ?? "").trim();
  if (trimmed === "" || trimmed.startsWith(PLACEHOLDER_PREFIX)) return null;
  return trimmed;
}
