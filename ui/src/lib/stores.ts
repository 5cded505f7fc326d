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
}

export const initialDeskState: DeskState = {
  ordersVersion: 0,
  changedOrderIds: [],
  sync: null,
  lastOperation: null,
};

export function reduce(state: DeskState, event: DeskEvent): DeskState {
  switch (event.type) {
    case "orders_changed":
      return { ...state, ordersVersion: state.ordersVersion + 1, changedOrderIds: event.order_ids };
    case "sync_status_changed":
      return { ...state, sync: event.status };
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
export function setSync(status: SyncStatus) {
  desk.update((s) => ({ ...s, sync: status }));
}

/** Starts listening once, at app start. */
export async function startEvents(): Promise<void> {
  const { listen } = await import("@tauri-apps/api/event");
  await listen<DeskEvent>("desk-event", (e) => desk.update((s) => reduce(s, e.payload)));
}

/** The current time, ticking every 15 s, for "3 min ago" and deadline badges. */
export const now = readable(Date.now(), (set) => {
  const timer = setInterval(() => set(Date.now()), 15_000);
  return () => clearInterval(timer);
});
