// The detail screen's payment operations: which need an amount, what the confirmation
// step says, and how an outcome is shown. Whether an operation can work at all is the
// backend's decision (`OperationAvailability`); nothing here second-guesses it.
import { checkAmountChange, checkPartialRefund, type AmountCheck } from "./amount";
import { formatYen } from "./format";
import type { MessageKey, Vars } from "./i18n";

export type OperationKind = "capture" | "cancel" | "full_refund" | "partial_refund" | "amount_change";
export type Outcome = "succeeded" | "failed" | "unknown" | "conflict" | "processing";

/** What the confirmation step needs to know about the order. */
export interface OrderFigures {
  transaction_id: string;
  amount_yen: number;
  captured_yen: number;
  refunded_yen: number;
  refundable_yen: number;
}

export function needsAmount(kind: OperationKind): boolean {
  return kind === "partial_refund" || kind === "amount_change";
}

/** Checks the typed amount for an operation that takes one. */
export function checkOperationAmount(kind: OperationKind, raw: string, order: OrderFigures): AmountCheck | null {
  if (kind === "partial_refund") return checkPartialRefund(raw, order.refundable_yen);
  if (kind === "amount_change") return checkAmountChange(raw, order.amount_yen);
  return null;
}

/** The sentence of the confirmation step: what will be sent, in money and IDs. */
export function confirmation(kind: OperationKind, order: OrderFigures, amount?: number): { key: MessageKey; vars: Vars } {
  const id = order.transaction_id;
  switch (kind) {
    case "capture":
      return { key: "op.confirm.capture", vars: { id, amount: formatYen(order.amount_yen) } };
    case "cancel":
      return { key: "op.confirm.cancel", vars: { id, amount: formatYen(order.amount_yen) } };
    case "full_refund":
      return { key: "op.confirm.full_refund", vars: { id, amount: formatYen(order.refundable_yen) } };
    case "partial_refund": {
      const a = amount ?? 0;
      return {
        key: "op.confirm.partial_refund",
        vars: { id, amount: formatYen(a), rest: formatYen(Math.max(0, order.refundable_yen - a)) },
      };
    }
    case "amount_change":
      return {
        key: "op.confirm.amount_change",
        vars: { id, from: formatYen(order.amount_yen), amount: formatYen(amount ?? 0) },
      };
  }
}

export type OutcomeTone = "ok" | "error" | "waiting" | "warn";

export function outcomeTone(outcome: Outcome): OutcomeTone {
  switch (outcome) {
    case "succeeded":
      return "ok";
    case "failed":
      return "error";
    case "unknown":
    case "processing":
      return "waiting";
    case "conflict":
      return "warn";
  }
}

/** What a disabled button says: kinds sharing one reason are named together, so a
 *  cancelled order says "cancelled" once, not five times. */
export interface ReasonLine {
  kinds: OperationKind[];
  code: string | null;
  reason: { ja: string; en: string };
}

export function groupReasons(
  ops: { kind: OperationKind; enabled: boolean; reason_code?: string | null; reason?: { ja: string; en: string } | null }[],
  skip: ReadonlyArray<{ ja: string; en: string }> = [],
): ReasonLine[] {
  const lines: ReasonLine[] = [];
  for (const op of ops) {
    if (op.enabled || !op.reason) continue;
    const reason = op.reason;
    if (skip.some((s) => s.ja === reason.ja)) continue;
    const same = lines.find((l) => l.reason.ja === reason.ja);
    if (same) same.kinds.push(op.kind);
    else lines.push({ kinds: [op.kind], code: op.reason_code ?? null, reason });
  }
  return lines;
}
