import { describe, expect, it } from "vitest";
import type { OrderMailPreview, OrderMailReport, OrderMailResult } from "../bindings";
import { ORDER_MAIL_KINDS, ordersToConfirm, outcomeTone, previewCounts } from "./orderMails";

const preview = (over: Partial<OrderMailPreview>): OrderMailPreview => ({
  order_id: 1,
  order_number: "A-1",
  to: "a@example.jp",
  subject: "s",
  body: "b",
  refused: null,
  already_sent_at: null,
  maybe_sent: false,
  ...over,
});

const result = (order_id: number, outcome: OrderMailResult["outcome"]): OrderMailResult => ({
  order_id,
  order_number: `A-${order_id}`,
  outcome,
  message: { ja: "", en: "" },
  to: null,
  mail_id: null,
});

describe("order mail view logic", () => {
  it("lists both kinds once", () => {
    expect(ORDER_MAIL_KINDS).toEqual(["shipping_notice", "order_confirmation"]);
  });
  it("counts a preview: ready, refused, and sent before (which asks first)", () => {
    const refused = { code: "order_mail_refused", message: { ja: "x", en: "x" }, action: null };
    expect(
      previewCounts([
        preview({}),
        preview({ order_id: 2, refused }),
        preview({ order_id: 3, already_sent_at: "2026-12-06T00:00:00Z" }),
        preview({ order_id: 4, maybe_sent: true }),
        preview({ order_id: 5, refused, already_sent_at: "2026-12-06T00:00:00Z" }),
      ]),
    ).toEqual({ ready: 1, refused: 2, before: 2 });
  });
  it("asks again only for orders that got (or may have got) the mail", () => {
    const report: OrderMailReport = {
      kind: "shipping_notice",
      results: [result(1, "sent"), result(2, "already_sent"), result(3, "refused"), result(4, "maybe_sent"), result(5, "already_waiting")],
      sent: 1,
      failed: 0,
      waiting: 0,
      refused: 1,
      needs_confirmation: 2,
      problem: null,
      summary: { ja: "", en: "" },
    };
    expect(ordersToConfirm(report)).toEqual([2, 4]);
    expect(ordersToConfirm(null)).toEqual([]);
  });
  it("tones each outcome: sent ok, failed error, not sent warn or muted", () => {
    expect(["sent", "failed", "refused", "maybe_sent", "already_sent"].map((o) => outcomeTone(o as OrderMailResult["outcome"]))).toEqual([
      "ok",
      "error",
      "warn",
      "warn",
      "muted",
    ]);
  });
});
