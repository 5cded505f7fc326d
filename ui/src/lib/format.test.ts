import { describe, expect, it } from "vitest";
import { formatTokyo, formatYen } from "./format";

describe("format", () => {
  it("shows integer yen with separators", () => {
    expect(formatYen(1234567)).toBe("¥1,234,567");
    expect(formatYen(0)).toBe("¥0");
    expect(() => formatYen(1.5)).toThrow();
  });
  it("shows UTC instants in Tokyo time", () => {
    expect(formatTokyo("2026-12-01T15:30:00Z")).toBe("2026/12/02 00:30");
  });
});
