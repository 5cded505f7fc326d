import { describe, expect, it } from "vitest";
import { adapt, CommandError } from "./api";

const refused = {
  code: "gateway_2004",
  message: { ja: "この状態では操作できません。", en: "Not possible in this state." },
  action: null,
};

// The one adapter between the generated commands and the screens (no wrapper per command).
describe("adapt", () => {
  const calls = adapt({
    ok: async (n: number) => n + 1,
    refused: async () => Promise.reject(refused),
    ipcFailed: async () => Promise.reject("command not found"),
  });

  it("passes arguments and results through", async () => {
    await expect(calls.ok(41)).resolves.toBe(42);
  });
  it("throws a command's AppError as a CommandError", async () => {
    const e = await calls.refused().catch((e: unknown) => e);
    expect(e).toBeInstanceOf(CommandError);
    expect((e as CommandError).error).toEqual(refused);
    expect((e as CommandError).message).toBe("gateway_2004: Not possible in this state.");
  });
  it("leaves any other failure as it was", async () => {
    await expect(calls.ipcFailed()).rejects.toBe("command not found");
  });
});
