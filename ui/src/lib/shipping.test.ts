import { describe, expect, it } from "vitest";
import { CARRIERS, labelFileName, outcomeTone } from "./shipping";

describe("shipping view logic", () => {
  it("names a label file after its carrier and ship date", () => {
    expect(labelFileName("japan_post", "2026-12-07")).toBe("japan-post-labels-20261207.csv");
    expect(labelFileName("yamato", "")).toBe("yamato-labels.csv");
  });
  it("lists every carrier once and tones each import outcome", () => {
    expect(new Set(CARRIERS).size).toBe(3);
    expect([outcomeTone("added"), outcomeTone("already_recorded"), outcomeTone("refused")]).toEqual(["ok", "muted", "warn"]);
  });
});
