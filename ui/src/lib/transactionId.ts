// The transaction ID (Paygent's payment ID) as the screens show it.
//
// A renewal that the gateway refused before any payment existed (P010, for example) has
// no transaction ID: the backend sends it empty (`domain::order::shown_transaction_id`),
// and the screens say "no transaction ID" rather than show a blank.

/** The transaction ID to show, or `null` when the order has none. */
export function shownTransactionId(id: string | null | undefined): string | null {
  const trimmed = (id ?? "").trim();
  return trimmed === "" ? null : trimmed;
}
