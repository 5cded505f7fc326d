import { describe, expect, it } from "vitest";
import { deadlineBadge } from "./deadline";
import { translate } from "./i18n";

const now = Date.parse("2026-12-01T03:00:00Z"); // 12:00 in Tokyo

function words(d: Parameters<typeof deadlineBadge>[0]) {
  const b = deadlineBadge(d, now);
  return b && { tone: b.tone, ja: translate("ja", b.key, b.vars), en: translate("en", b.key, b.vars) };
}

describe("deadlineBadge", () => {
  it("shows nothing without a deadline", () => {
    expect(deadlineBadge(null, now)).toBeNull();
  });
  it("shows the Tokyo date of a distant capture deadline", () => {
    expect(words({ kind: "capture", at: "2026-12-20T16:00:00Z", state: "ok" })).toEqual({
      tone: "ok",
      ja: "2026/12/21まで",
      en: "by 2026/12/21",
    });
  });
  it("flags a near capture deadline with the days left", () => {
    expect(words({ kind: "capture", at: "2026-12-04T04:00:00Z", state: "near" })).toEqual({
      tone: "near",
      ja: "期限間近 あと3日",
      en: "Near: 3 days left",
    });
  });
  it("counts hours on the last day", () => {
    expect(words({ kind: "capture", at: "2026-12-01T08:30:00Z", state: "near" })?.ja).toBe("期限間近 あと5時間");
  });
  it("says lapsed plainly", () => {
    expect(words({ kind: "capture", at: "2026-11-30T00:00:00Z", state: "lapsed" })).toEqual({
      tone: "lapsed",
      ja: "不成立(期限切れ)",
      en: "Lapsed",
    });
  });
  it("says a closed refund window plainly, without alarm", () => {
    expect(words({ kind: "refund", at: "2026-11-30T00:00:00Z", state: "lapsed" })).toEqual({
      tone: "muted",
      ja: "返金期限切れ",
      en: "Refund window closed",
    });
  });
});
