import { describe, expect, it } from "vitest";
import { checkAmountChange, checkPartialRefund, parseYen } from "./amount";

describe("parseYen", () => {
  const ok: [string, number][] = [
    ["1500", 1500],
    ["1,500", 1500],
    ["¥1,500", 1500],
    ["￥１，５００", 1500],
    ["１５００円", 1500],
    [" 300000 ", 300000],
  ];
  for (const [raw, value] of ok) {
    it(`reads ${JSON.stringify(raw)} as ${value} yen`, () => {
      expect(parseYen(raw)).toEqual({ ok: true, value });
    });
  }
  const bad: [string, string][] = [
    ["", "amount.empty"],
    ["  ", "amount.empty"],
    ["1500.5", "amount.notInteger"],
    ["1.500", "amount.notInteger"],
    ["abc", "amount.notInteger"],
    ["1e3", "amount.notInteger"],
    ["0", "amount.notPositive"],
    ["-100", "amount.notPositive"],
    ["10000000", "amount.tooLarge"],
  ];
  for (const [raw, problem] of bad) {
    it(`refuses ${JSON.stringify(raw)} (${problem})`, () => {
      expect(parseYen(raw)).toEqual({ ok: false, problem });
    });
  }
});

describe("checkPartialRefund", () => {
  it("allows up to the refundable amount", () => {
    expect(checkPartialRefund("500", 1200)).toEqual({ ok: true, value: 500 });
    expect(checkPartialRefund("1200", 1200)).toEqual({ ok: true, value: 1200 });
  });
  it("refuses more than the refundable amount", () => {
    expect(checkPartialRefund("1201", 1200)).toEqual({ ok: false, problem: "amount.exceedsRefundable" });
  });
});

describe("checkAmountChange", () => {
  it("allows a lower amount only", () => {
    expect(checkAmountChange("900", 1200)).toEqual({ ok: true, value: 900 });
    expect(checkAmountChange("1200", 1200)).toEqual({ ok: false, problem: "amount.unchanged" });
    expect(checkAmountChange("1300", 1200)).toEqual({ ok: false, problem: "amount.notLower" });
    expect(checkAmountChange("0", 1200)).toEqual({ ok: false, problem: "amount.notPositive" });
  });
});
