// The live bulk-capture run, fed by the backend's `desk-event`s (`events.ts`) from app start (a run keeps
// going while the bulk screen is not shown, or the window is hidden).
import { writable } from "svelte/store";
import type { BulkRunDetail } from "../bindings";
import { initialLive, type BulkLive } from "./bulk";

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
