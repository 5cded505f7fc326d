// The one listener of the backend's `desk-event`s. Every store that follows the backend is
// fed here, so an event reaches each of them once, in one order, from app start (a bulk run
// or a failed renewal keeps moving while its screen is not shown or the window is hidden).
import type { DeskEvent } from "../bindings";
import { reduceLive } from "./bulk";
import { bulkLive } from "./bulkEvents";
import { desk, reduce } from "./stores";
import { reduceSubscriptions, subscriptionsState } from "./subscriptions";

/** Folds one backend event into every store that follows the backend. */
export function dispatch(event: DeskEvent, at: number = Date.now()): void {
  desk.update((s) => reduce(s, event, at));
  bulkLive.update((s) => reduceLive(s, event));
  subscriptionsState.update((s) => reduceSubscriptions(s, event));
}

/** Starts listening once, at app start. */
export async function startDeskEvents(): Promise<void> {
  const { listen } = await import("@tauri-apps/api/event");
  await listen<DeskEvent>("desk-event", (e) => dispatch(e.payload));
}
