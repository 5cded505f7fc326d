// Every backend call passes through here: one place to see what the UI asks of Rust.
// `api` is the generated commands (ui/src/bindings.ts, written by `cargo xtask codegen`
// from the Rust command definitions; never edited by hand) behind one adapter: a
// command's AppError is thrown as a CommandError. A new Tauri command needs no line
// here: regenerate the bindings and call `api.<commandName>`.
import { commands } from "../bindings";
import { open as openFileDialog, save as saveFileDialog } from "@tauri-apps/plugin-dialog";
import { CommandError, isAppError } from "./errors";

export type * from "../bindings";
export { CommandError };

type Call = (...args: never[]) => Promise<unknown>;

/** `calls` with each rejection that is an AppError thrown as a CommandError instead. */
export function adapt<C extends Record<string, Call>>(calls: C): C {
  const adapted: Record<string, Call> = {};
  for (const [name, call] of Object.entries(calls)) {
    adapted[name] = async (...args: never[]) => {
      try {
        return await call(...args);
      } catch (e) {
        throw isAppError(e) ? new CommandError(e) : e;
      }
    };
  }
  return adapted as C;
}

/** Every Tauri command, by the name the bindings give it. */
export const api = adapt(commands);

// The system's file dialogs (tauri-plugin-dialog). They only return a path: the backend
// reads or writes the file, so the window needs no file-system permission. The backend is
// told first, so that on Linux it can keep the dialog inside the screen.
export const files = {
  /** The path the shop owner chose, or null when the dialog was cancelled. */
  choose: async (title: string, filter: { name: string; extensions: string[] }): Promise<string | null> => {
    await api.fileDialogOpening();
    const picked = await openFileDialog({ title, multiple: false, directory: false, filters: [filter] });
    return typeof picked === "string" ? picked : null;
  },
  /** Where to write a new file ("Save as"), or null when the dialog was cancelled. */
  saveAs: async (
    title: string,
    filter: { name: string; extensions: string[] },
    defaultPath?: string,
  ): Promise<string | null> => {
    await api.fileDialogOpening();
    return (await saveFileDialog({ title, filters: [filter], defaultPath })) ?? null;
  },
};
