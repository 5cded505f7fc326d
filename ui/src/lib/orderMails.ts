// The order mails' view logic (issue 20, point 5), pure and unit-tested: the kinds in the
// order the screens list them, each outcome's tone, what a preview adds up to, and which
// orders a "send again" would mail a second time.
import type { OrderMailKindCode, OrderMailOutcomeCode, OrderMailPreview, OrderMailReport } from "../bindings";

export const ORDER_MAIL_KINDS: OrderMailKindCode[] = ["shipping_notice", "order_confirmation"];

export function outcomeTone(outcome: OrderMailOutcomeCode): "ok" | "warn" | "error" | "muted" {
  switch (outcome) {
    case "sent":
      return "ok";
    case "failed":
      return "error";
    case "refused":
    case "maybe_sent":
    case "waiting":
      return "warn";
    case "already_sent":
    case "already_waiting":
      return "muted";
  }
}

/** How many of a preview can go now, cannot go, or went before (they ask first). */
export function previewCounts(previews: OrderMailPreview[]): { ready: number; refused: number; before: number } {
  let ready = 0;
  let refused = 0;
  let before = 0;
  for (const p of previews) {
    if (p.refused) refused += 1;
    else if (p.already_sent_at || p.maybe_sent) before += 1;
    else ready += 1;
  }
  return { ready, refused, before };
}

/** The orders a confirmed "send again" would mail a second time. */
export function ordersToConfirm(report: OrderMailReport | null): number[] {
  if (!report) return [];
  return report.results.filter((r) => r.outcome === "already_sent" || r.outcome === "maybe_sent").map((r) => r.order_id);
}
