import { describe, expect, it } from "vitest";
import { jargon, missingKeys, otherLanguage, placeholderMismatches, translate } from "./i18n";

describe("i18n", () => {
  it("has every key in both languages", () => {
    expect(missingKeys()).toEqual([]);
  });
  it("has the same placeholders in both languages", () => {
    expect(placeholderMismatches()).toEqual([]);
  });
  it("is Japanese by default and switches to English", () => {
    expect(translate("ja", "nav.orders")).toBe("受注");
    expect(translate("en", "nav.orders")).toBe("Orders");
    expect(otherLanguage("ja")).toBe("en");
    expect(otherLanguage("en")).toBe("ja");
  });
  it("fills placeholders and keeps unknown ones visible", () => {
    expect(translate("ja", "orders.selected", { n: 3 })).toBe("3件を選択中");
    expect(translate("en", "orders.selected", { n: 3 })).toBe("3 selected");
    expect(translate("en", "orders.selected")).toBe("{n} selected");
  });
  it("uses the glossary's terms for the three lists", () => {
    expect(translate("ja", "list.open")).toBe("受注一覧");
    expect(translate("ja", "list.completed")).toBe("受注完了一覧");
    expect(translate("ja", "list.cancelled")).toBe("受注キャンセル一覧");
  });
  it("names no telegram number or shorthand a shop owner would not know (issue 15)", () => {
    // "カード情報を更新（027）", "cycle（1m・2w）": the labels the shop owner reads say what
    // happens in words; the CSV help may name a column, beside its plain name.
    expect(jargon()).toEqual([]);
  });
});
