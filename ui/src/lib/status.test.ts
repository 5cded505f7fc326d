import { describe, expect, it } from "vitest";
import { orderTone, statusCodesFor, statusFilters, statusTone } from "./status";
import { translate } from "./i18n";

describe("statusTone", () => {
  it("marks what needs the shop owner, what is done and what went wrong", () => {
    expect(statusTone("20")).toBe("action");
    expect(statusTone("40")).toBe("ok");
    expect(statusTone("30")).toBe("progress");
    expect(statusTone("32")).toBe("muted");
    expect(statusTone("60")).toBe("muted");
    expect(statusTone("33")).toBe("danger");
    expect(statusTone("11")).toBe("danger");
    expect(statusTone("99")).toBe("muted");
  });
});

describe("status filters", () => {
  it("map choices to gateway codes", () => {
    expect(statusCodesFor("authorized")).toEqual(["20"]);
    expect(statusCodesFor("lapsed")).toEqual(["33"]);
    expect(statusCodesFor("")).toEqual([]);
    expect(statusCodesFor("nonsense")).toEqual([]);
  });
  it("use the glossary's Japanese terms", () => {
    const ja = statusFilters.map((f) => translate("ja", f.key));
    expect(ja).toEqual(["オーソリOK", "売上確定済", "キャンセル済", "返金済", "不成立", "オーソリNG"]);
  });
});

describe("issue 15: a failed renewal switched to another payment method", () => {
  it("is no longer coloured as a failure", () => {
    expect(orderTone({ status: { code: "11" } })).toBe("danger");
    expect(orderTone({ status: { code: "11" }, payment_method_label: "銀行振込" })).toBe("progress");
  });
});
