// Every backend call passes through here: one place to see what the UI asks of Rust.
// The types and command wrappers come from the generated bindings.
import { commands } from "../bindings";
import type { AppError, AppInfo, KeychainStatus, Language } from "../bindings";

export type { AppError, AppInfo, KeychainStatus, Language };

/** Thrown by the wrappers below when a command returns its AppError. */
export class CommandError extends Error {
  constructor(public readonly error: AppError) {
    super(`${error.code}: ${error.message.en}`);
  }
}

function unwrap<T>(result: { status: "ok"; data: T } | { status: "error"; error: AppError }): T {
  if (result.status === "error") throw new CommandError(result.error);
  return result.data;
}

export const api = {
  appInfo: (): Promise<AppInfo> => commands.appInfo(),
  keychainStatus: (): Promise<KeychainStatus> => commands.keychainStatus(),
  setLanguage: async (language: Language): Promise<Language> => unwrap(await commands.setLanguage(language)),
};
