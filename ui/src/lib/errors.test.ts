import { describe, expect, it } from "vitest";
import { asAppError } from "./errors";
import { CommandError } from "./api";

const gatewayRefused = {
  code: "gateway_2004",
  message: { ja: "この状態では操作できません。", en: "Not possible in this state." },
  action: null,
};

describe("asAppError", () => {
  it("unwraps a command's AppError as is", () => {
    expect(asAppError(new CommandError(gatewayRefused))).toEqual(gatewayRefused);
    expect(asAppError(gatewayRefused)).toEqual(gatewayRefused);
  });
  it("turns anything else into a plain-words error with its own code", () => {
    const e = asAppError(new Error("ipc closed"));
    expect(e.code).toBe("ui_unexpected");
    expect(e.message.en).toContain("ipc closed");
    expect(e.action?.ja).toBeTruthy();
    expect(asAppError("boom").code).toBe("ui_unexpected");
  });
});
