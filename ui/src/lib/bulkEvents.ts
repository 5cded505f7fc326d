// The live bulk-capture run, fed by the backend's `desk-event`s from app start (a run keeps
// going while the bulk screen is not shown, or the window is hidden).
import { writable } from "svelte/store";
import type { BulkRunDetail, DeskEvent } from "../bindings";
import { initialLive, reduceLive, type BulkLive } from "./bulk";

export const bulkLive = writable<BulkLive>(initialLive);

/** Shows a run the UI started itself before its first event arrives. */
export function showRun(run: BulkRunDetail) {
  bulkLive.update((s) => (s.run?.summary.run_id === run.summary.run_id ? s : { ...s, run }));
}

export function clearRun() {
  bulkLive.update((s) => ({ ...s, run: null }));
}

/** A run whose detailed log the bulk screen opens (a click on its desktop notification);
 *  the screen takes it and sets this back to null. */
export const requestedRun = writable<number | null>(null);

/** Starts listening once, at app start. */
export async function startBulkEvents(): Promise<void> {
  const { listen } = await import("@tauri-apps/api/event");
  await listen<DeskEvent>("desk-event", (e) => bulkLive.update((s) => reduceLive(s, e.payload)));
}
