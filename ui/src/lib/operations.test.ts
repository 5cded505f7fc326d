import { describe, expect, it } from "vitest";
import { checkOperationAmount, confirmation, groupReasons, needsAmount, outcomeTone } from "./operations";
import { translate } from "./i18n";

const order = {
  transaction_id: "30000001",
  amount_yen: 12000,
  captured_yen: 12000,
  refunded_yen: 2000,
  refundable_yen: 10000,
};

function say(...args: Parameters<typeof confirmation>) {
  const c = confirmation(...args);
  return translate("ja", c.key, c.vars);
}

describe("confirmation", () => {
  it("names the transaction and the money", () => {
    expect(say("capture", order)).toBe("取引ID 30000001 の ¥12,000 を売上確定します。購入者に請求されます。");
    expect(say("full_refund", order)).toBe("取引ID 30000001 の ¥10,000 を全額返金します。元に戻せません。");
    expect(say("partial_refund", order, 3000)).toBe(
      "取引ID 30000001 から ¥3,000 を返金します。返金後の返金可能額は ¥7,000 です。",
    );
    expect(say("amount_change", order, 9000)).toContain("¥12,000 から ¥9,000 に変更");
  });
  it("is in English too", () => {
    const c = confirmation("cancel", order);
    expect(translate("en", c.key, c.vars)).toBe(
      "Cancel the authorization (¥12,000) of transaction 30000001. The buyer will not be charged. This cannot be undone.",
    );
  });
});

describe("amounts", () => {
  it("are asked only for partial refunds and amount changes", () => {
    expect(needsAmount("capture")).toBe(false);
    expect(needsAmount("partial_refund")).toBe(true);
    expect(needsAmount("amount_change")).toBe(true);
  });
  it("are checked against the refundable amount or the current amount", () => {
    expect(checkOperationAmount("partial_refund", "10001", order)).toEqual({ ok: false, problem: "amount.exceedsRefundable" });
    expect(checkOperationAmount("partial_refund", "3,000", order)).toEqual({ ok: true, value: 3000 });
    expect(checkOperationAmount("amount_change", "13000", order)).toEqual({ ok: false, problem: "amount.notLower" });
    expect(checkOperationAmount("capture", "", order)).toBeNull();
  });
});

describe("outcomeTone", () => {
  it("keeps an unknown outcome apart from a failure", () => {
    expect(outcomeTone("succeeded")).toBe("ok");
    expect(outcomeTone("failed")).toBe("error");
    expect(outcomeTone("unknown")).toBe("waiting");
    expect(outcomeTone("conflict")).toBe("warn");
    // Parked at the gateway for this operation: neither done nor refused (issue 19).
    expect(outcomeTone("processing")).toBe("waiting");
  });
});

describe("groupReasons", () => {
  const cancelled = { ja: "キャンセル済みです。", en: "Cancelled." };
  const captured = { ja: "売上確定済みです。", en: "Captured." };
  it("names kinds with the same reason together, once", () => {
    const lines = groupReasons([
      { kind: "capture", enabled: false, reason_code: "already_cancelled", reason: cancelled },
      { kind: "cancel", enabled: false, reason_code: "already_cancelled", reason: cancelled },
      { kind: "full_refund", enabled: true, reason_code: null, reason: null },
      { kind: "partial_refund", enabled: false, reason_code: "x", reason: captured },
    ]);
    expect(lines).toEqual([
      { kinds: ["capture", "cancel"], code: "already_cancelled", reason: cancelled },
      { kinds: ["partial_refund"], code: "x", reason: captured },
    ]);
  });
  it("leaves out reasons already shown elsewhere", () => {
    expect(groupReasons([{ kind: "amount_change", enabled: false, reason: cancelled }], [cancelled])).toEqual([]);
  });
});
