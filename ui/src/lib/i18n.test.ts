import { describe, expect, it } from "vitest";
import { missingKeys, otherLanguage, translate } from "./i18n";

describe("i18n", () => {
  it("has every key in both languages", () => {
    expect(missingKeys()).toEqual([]);
  });
  it("is Japanese by default and switches to English", () => {
    expect(translate("ja", "nav.orders")).toBe("受注");
    expect(translate("en", "nav.orders")).toBe("Orders");
    expect(otherLanguage("ja")).toBe("en");
    expect(otherLanguage("en")).toBe("ja");
  });
});
