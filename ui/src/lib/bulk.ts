// Bulk capture's view logic, pure and unit-tested: the list's filters as a query, the
// selection (in selection order, capped at the backend's limit), and the live run folded
// from `desk-event`s. The limit always comes from a DTO field (`max_orders`), fed by the
// Rust rules table.
import type {
  BulkItemStatusCode,
  BulkRunDetail,
  BulkRunStatusCode,
  DeskEvent,
  OrderListCode,
  PaymentMethodCode,
  UnprocessedQuery,
  UnprocessedRow,
} from "../bindings";

export const PAGE_SIZE = 50;

export interface BulkFilters {
  search: string;
  method: "" | PaymentMethodCode;
  list: "" | OrderListCode;
  selectableOnly: boolean;
  failedOnly: boolean;
  /** Only orders with a tracking number (capture on shipment). */
  shippedOnly: boolean;
  page: number;
}

export const initialFilters: BulkFilters = {
  search: "",
  method: "",
  list: "",
  selectableOnly: false,
  failedOnly: false,
  shippedOnly: false,
  page: 0,
};

export function toQuery(f: BulkFilters): UnprocessedQuery {
  const search = f.search.trim();
  return {
    method: f.method === "" ? null : f.method,
    list: f.list === "" ? null : f.list,
    selectable_only: f.selectableOnly,
    failed_only: f.failedOnly,
    shipped_only: f.shippedOnly,
    search: search === "" ? null : search,
    page: f.page,
    page_size: PAGE_SIZE,
  };
}

export function canSelect(row: UnprocessedRow): boolean {
  return row.eligibility === "selectable";
}

export interface SelectionChange {
  selection: number[];
  /** Something was not added because the run is full. */
  limited: boolean;
}

/** Adds or removes one order; never grows past `max`. */
export function toggle(selection: number[], id: number, max: number): SelectionChange {
  if (selection.includes(id)) return { selection: selection.filter((s) => s !== id), limited: false };
  if (selection.length >= max) return { selection, limited: true };
  return { selection: [...selection, id], limited: false };
}

/** Adds every given order not selected yet, in order, up to `max`. */
export function addAll(selection: number[], ids: number[], max: number): SelectionChange {
  const next = [...selection];
  let limited = false;
  for (const id of ids) {
    if (next.includes(id)) continue;
    if (next.length >= max) {
      limited = true;
      break;
    }
    next.push(id);
  }
  return { selection: next, limited };
}

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

/** The progress bar's position, 0–100. */
export function percent(done: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.round((done / total) * 100));
}

export function settledCount(run: BulkRunDetail): number {
  const p = run.summary.progress;
  return p.succeeded + p.failed + p.skipped;
}

export function statusTone(status: BulkItemStatusCode): string {
  switch (status) {
    case "succeeded":
      return "ok";
    case "failed":
      return "danger";
    case "skipped":
      return "warn";
    case "pending":
      return "muted";
    default:
      return "progress";
  }
}

export function runTone(status: BulkRunStatusCode): string {
  switch (status) {
    case "finished":
    case "settled":
      return "ok";
    case "interrupted":
      return "warn";
    default:
      return "progress";
  }
}

/** The live run the screen shows, folded from the backend's events. */
export interface BulkLive {
  run: BulkRunDetail | null;
  /** Bumped when a run finishes (lists and the log reload). */
  finishedVersion: number;
}

export const initialLive: BulkLive = { run: null, finishedVersion: 0 };

export function reduceLive(state: BulkLive, event: DeskEvent): BulkLive {
  switch (event.type) {
    case "bulk_run_started":
      // The same run may already show (and have progressed): keep it.
      if (state.run?.summary.run_id === event.run.summary.run_id) return state;
      return { ...state, run: event.run };
    case "bulk_item_changed": {
      const run = state.run;
      if (!run || run.summary.run_id !== event.run_id) return state;
      const items = run.items.map((i) => (i.order_id === event.item.order_id ? event.item : i));
      return { ...state, run: { ...run, items, summary: { ...run.summary, progress: event.progress } } };
    }
    case "bulk_run_finished": {
      const run = state.run;
      const next =
        run && run.summary.run_id === event.run.run_id ? { ...run, summary: event.run } : run;
      return { run: next, finishedVersion: state.finishedVersion + 1 };
    }
    default:
      return state;
  }
}
