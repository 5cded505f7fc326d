import { describe, expect, it } from "vitest";
import { daysUntil, relativeTime } from "./relative";

const now = "2026-12-01T12:00:00Z";

describe("relativeTime", () => {
  const cases: [string, string, string][] = [
    ["2026-12-01T11:59:40Z", "たった今", "just now"],
    ["2026-12-01T11:57:00Z", "3分前", "3 min ago"],
    ["2026-12-01T11:59:00Z", "1分前", "1 min ago"],
    ["2026-12-01T11:00:00Z", "1時間前", "1 hour ago"],
    ["2026-12-01T07:30:00Z", "4時間前", "4 hours ago"],
    ["2026-11-30T12:00:00Z", "1日前", "1 day ago"],
    ["2026-11-21T12:00:00Z", "10日前", "10 days ago"],
    ["2026-12-01T12:05:00Z", "5分後", "in 5 min"],
    ["2026-12-04T12:00:00Z", "3日後", "in 3 days"],
  ];
  for (const [then, ja, en] of cases) {
    it(`${then} → ${en}`, () => {
      expect(relativeTime(then, now, "ja")).toBe(ja);
      expect(relativeTime(then, now, "en")).toBe(en);
    });
  }
  it("takes epoch milliseconds too", () => {
    expect(relativeTime(Date.parse(now) - 180_000, Date.parse(now), "en")).toBe("3 min ago");
  });
  it("refuses a malformed time instead of showing NaN", () => {
    expect(() => relativeTime("yesterday", now, "en")).toThrow();
  });
});

describe("daysUntil", () => {
  it("counts whole days, negative once passed", () => {
    expect(daysUntil("2026-12-04T13:00:00Z", now)).toBe(3);
    expect(daysUntil("2026-12-01T13:00:00Z", now)).toBe(0);
    expect(daysUntil("2026-11-30T13:00:00Z", now)).toBe(-1);
  });
});
