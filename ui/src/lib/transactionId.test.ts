import { describe, expect, it } from "vitest";
import { shownTransactionId } from "./transactionId";
import { translate } from "./i18n";

describe("shownTransactionId", () => {
  it("shows a real transaction ID as it is", () => {
    expect(shownTransactionId("31874625")).toBe("31874625");
    expect(shownTransactionId(" 31874625 ")).toBe("31874625");
  });
  it("shows none when the order has no transaction (a renewal refused before a payment)", () => {
    expect(shownTransactionId("")).toBeNull();
    expect(shownTransactionId(null)).toBeNull();
    expect(shownTransactionId(undefined)).toBeNull();
  });
  it("has the words for no transaction ID in both languages", () => {
    expect(translate("ja", "txid.none")).toBe("—（取引IDなし）");
    expect(translate("en", "txid.none")).toBe("— (no transaction ID)");
  });
});
