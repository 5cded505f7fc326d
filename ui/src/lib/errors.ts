// Every failure the UI shows is an AppError: `code` (what the UI may switch on), and the
// plain Japanese/English `message` and `action` written on the Rust side. Message strings
// are never parsed.
import type { AppError } from "../bindings";

/** Thrown by every command of `api` (lib/api.ts) when it returns its AppError. */
export class CommandError extends Error {
  constructor(public readonly error: AppError) {
    super(`${error.code}: ${error.message.en}`);
  }
}

/** A failure that is not an AppError (a bug, or the IPC itself failing). */
export function unexpected(detail: string): AppError {
  return {
    code: "ui_unexpected",
    message: {
      ja: `予期しないエラーが起きました(${detail})。`,
      en: `Something unexpected went wrong (${detail}).`,
    },
    action: {
      ja: "画面を再読み込みしてください。続く場合は PayDesk を再起動してください。",
      en: "Reload the screen; if it persists, restart PayDesk.",
    },
  };
}

/** Whatever a call threw, as an AppError. */
export function asAppError(e: unknown): AppError {
  if (e instanceof CommandError) return e.error;
  if (isAppError(e)) return e;
  if (e instanceof Error) return unexpected(e.message);
  return unexpected(String(e));
}

export function isAppError(e: unknown): e is AppError {
  if (typeof e !== "object" || e === null) return false;
  const o = e as Record<string, unknown>;
  const m = o.message as Record<string, unknown> | undefined;
  return typeof o.code === "string" && typeof m === "object" && m !== null && typeof m.ja === "string";
}
