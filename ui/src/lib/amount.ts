// What the shop owner types into an amount box, checked before anything is sent.
// Money is integer yen: "1,500", "¥1500", "１５００円" are all 1500; "1500.5" is refused.
// The backend checks again against the rules; this only catches typing mistakes early
// and says so in plain words (the reasons are i18n keys).

export type AmountProblem =
  | "amount.empty"
  | "amount.notInteger"
  | "amount.notPositive"
  | "amount.tooLarge"
  | "amount.exceedsRefundable"
  | "amount.notLower"
  | "amount.unchanged";

export type AmountCheck = { ok: true; value: number } | { ok: false; problem: AmountProblem };

/** The largest amount any form accepts (the card amount field holds 7 digits). */
export const MAX_YEN = 9_999_999;

/** Parses typed text into integer yen. */
export function parseYen(raw: string): AmountCheck {
  const text = raw
    .normalize("NFKC") // full-width digits, ￥ and ， become ASCII
    .replace(/[\s,¥円]/g, "")
    .replace(/^\\/, ""); // a yen sign typed on a Japanese keyboard under some fonts
  if (text === "") return { ok: false, problem: "amount.empty" };
  if (!/^-?\d+$/.test(text)) return { ok: false, problem: "amount.notInteger" };
  const value = Number(text);
  if (value <= 0) return { ok: false, problem: "amount.notPositive" };
  if (value > MAX_YEN) return { ok: false, problem: "amount.tooLarge" };
  return { ok: true, value };
}

/** A partial refund: at least 1 yen, at most the refundable amount. */
export function checkPartialRefund(raw: string, refundable: number): AmountCheck {
  const parsed = parseYen(raw);
  if (!parsed.ok) return parsed;
  if (parsed.value > refundable) return { ok: false, problem: "amount.exceedsRefundable" };
  return parsed;
}

/** An amount change: the gateway only lowers an authorized amount. */
export function checkAmountChange(raw: string, current: number): AmountCheck {
  const parsed = parseYen(raw);
  if (!parsed.ok) return parsed;
  if (parsed.value === current) return { ok: false, problem: "amount.unchanged" };
  if (parsed.value > current) return { ok: false, problem: "amount.notLower" };
  return parsed;
}
