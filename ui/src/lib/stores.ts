// Backend events land here, in one store: the Tauri event `desk-event` carries a
// `DeskEvent` (orders changed, sync status changed, operation finished). Screens read
// this store instead of listening themselves. `reduce` is pure and unit-tested.
import { readable, writable } from "svelte/store";
import type { DeskEvent, OperationResult, SyncStatus } from "../bindings";

export interface DeskState {
  /** Bumped on every `orders_changed`: lists and details reload when it moves. */
  ordersVersion: number;
  /** The orders the last change named. */
  changedOrderIds: number[];
  /** The latest sync status pushed by the backend (`null` until the first one). */
  sync: SyncStatus | null;
  /** The latest operation that finished, also ones settled in the background. */
  lastOperation: OperationResult | null;
  /** PayDesk's clock minus the window's, in ms, when the last sync status arrived: the
   *  status's times are on PayDesk's clock (in the demo the simulator's), so "3 min ago"
   *  is measured with this added to the window's clock. */
  syncSkewMs: number;
}

export const initialDeskState: DeskState = {
  ordersVersion: 0,
  changedOrderIds: [],
  sync: null,
  lastOperation: null,
  syncSkewMs: 0,
};

/** PayDesk's clock minus the window's, from a status's `now` received at `at`. */
export function skewOf(status: SyncStatus, at: number): number {
  const desk = Date.parse(status.now);
  return Number.isNaN(desk) ? 0 : desk - at;
}

/** `at`: when the event arrived (the window's clock). */
export function reduce(state: DeskState, event: DeskEvent, at: number = Date.now()): DeskState {
  switch (event.type) {
    case "orders_changed":
      return { ...state, ordersVersion: state.ordersVersion + 1, changedOrderIds: event.order_ids };
    case "sync_status_changed":
      return { ...state, sync: event.status, syncSkewMs: skewOf(event.status, at) };
    case "operation_finished":
      return {
        ...state,
        lastOperation: event.result,
        ordersVersion: state.ordersVersion + 1,
        changedOrderIds: [event.result.order_id],
      };
    default:
      return state;
  }
}

export const desk = writable<DeskState>(initialDeskState);

/** Feeds a sync status the UI fetched itself (first load, after "Sync now"). */
export function setSync(status: SyncStatus, at: number = Date.now()) {
  desk.update((s) => ({ ...s, sync: status, syncSkewMs: skewOf(status, at) }));
}

/** The current time, ticking every 15 s, for "3 min ago" and deadline badges. A screen
 *  that subscribes gets the time of that moment, not the one from when the clock last ran
 *  (it stops while no screen shows a time: a screen opened minutes later read an old "now"
 *  and showed a past event as "in 4 min"); a window shown again catches up at once, as a
 *  hidden window's timers may not run. */
export const now = readable(Date.now(), (set) => {
  const tick = () => set(Date.now());
  tick();
  const timer = setInterval(tick, 15_000);
  const seen = typeof document !== "undefined" ? document : null;
  seen?.addEventListener("visibilitychange", tick);
  if (typeof window !== "undefined") window.addEventListener("focus", tick);
  return () => {
    clearInterval(timer);
    seen?.removeEventListener("visibilitychange", tick);
    if (typeof window !== "undefined") window.removeEventListener("focus", tick);
  };
});
