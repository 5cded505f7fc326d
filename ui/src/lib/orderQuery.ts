// The order lists' screen state (tab, search, filters, page, selection) and how it turns
// into the backend's query. Pure, so paging and selection are unit-tested.
import type { MessageKey } from "./i18n";
import { statusCodesFor } from "./status";

export type ListTab = "open" | "completed" | "cancelled" | "all";
export type DeadlineFilter = "" | "near" | "lapsed";
export type MethodFilter = "" | "card" | "paidy";
/** The deposit check: marked received, or captured and still waiting for it. */
export type DepositFilter = "" | "received" | "waiting";
/** The backend's `OrderSortCode`. */
export type OrderSort = "newest" | "oldest" | "amount_high" | "amount_low" | "deadline";

/** The sort choices, in menu order. */
export const sorts: { id: OrderSort; key: MessageKey }[] = [
  { id: "newest", key: "orders.sort.newest" },
  { id: "oldest", key: "orders.sort.oldest" },
  { id: "amount_high", key: "orders.sort.amount_high" },
  { id: "amount_low", key: "orders.sort.amount_low" },
  { id: "deadline", key: "orders.sort.deadline" },
];

export const tabs: { id: ListTab; key: MessageKey }[] = [
  { id: "open", key: "list.open" },
  { id: "completed", key: "list.completed" },
  { id: "cancelled", key: "list.cancelled" },
  { id: "all", key: "list.all" },
];

export const PAGE_SIZE = 50;

export interface ListState {
  tab: ListTab;
  search: string;
  /** A choice of `statusFilters`, "" = any. */
  status: string;
  deadline: DeadlineFilter;
  method: MethodFilter;
  /** First Japan day of the order date (`2026-12-01`), "" = open. */
  from: string;
  /** Last Japan day (included), "" = open. */
  to: string;
  deposit: DepositFilter;
  sort: OrderSort;
  /** Zero-based. */
  page: number;
}

export function initialState(tab: ListTab = "open"): ListState {
  return { tab, search: "", status: "", deadline: "", method: "", from: "", to: "", deposit: "", sort: "newest", page: 0 };
}

/** What the home screen's counts open. */
export function stateForCount(count: "open" | "near" | "lapsed" | "outside"): ListState {
  switch (count) {
    case "open":
      return initialState("open");
    case "near":
      return { ...initialState("all"), deadline: "near", sort: "deadline" };
    case "lapsed":
      return { ...initialState("all"), deadline: "lapsed", sort: "deadline" };
    case "outside":
      return initialState("all");
  }
}

/** The backend's `OrderQuery` for a state. */
export function toQuery(state: ListState, pageSize = PAGE_SIZE) {
  const search = state.search.trim();
  return {
    list: state.tab === "all" ? null : state.tab,
    statuses: statusCodesFor(state.status),
    deadline: state.deadline === "" ? null : state.deadline,
    search: search === "" ? null : search,
    method: state.method === "" ? null : state.method,
    ordered_from: state.from === "" ? null : state.from,
    ordered_to: state.to === "" ? null : state.to,
    deposit: state.deposit === "" ? null : state.deposit,
    sort: state.sort,
    page: state.page,
    page_size: pageSize,
  };
}

export type ActiveFilter = "search" | "status" | "deadline" | "method" | "dates" | "deposit";

/** The filters that narrow the list, in toolbar order (shown above it while any is on). */
export function activeFilters(state: ListState): ActiveFilter[] {
  const on: [ActiveFilter, boolean][] = [
    ["search", state.search.trim() !== ""],
    ["status", state.status !== ""],
    ["deadline", state.deadline !== ""],
    ["method", state.method !== ""],
    ["dates", state.from !== "" || state.to !== ""],
    ["deposit", state.deposit !== ""],
  ];
  return on.filter(([, active]) => active).map(([f]) => f);
}

/** Any filter or search narrows the list (the empty state then says so). */
export function isFiltered(state: ListState): boolean {
  return activeFilters(state).length > 0;
}

/** The list without its filters and search: the same tab and sort, first page. Leaving
 *  the orders screen does this, so coming back never shows a silently narrowed list. */
export function clearFilters(state: ListState): ListState {
  return { ...initialState(state.tab), sort: state.sort };
}

/** What an empty list says: open and all lists fill from payment notifications; the
 *  completed and cancelled lists only by moving orders there. */
export function emptyKey(tab: ListTab, filtered: boolean): MessageKey {
  if (filtered) return "orders.empty.filtered";
  if (tab === "completed") return "orders.empty.completed";
  if (tab === "cancelled") return "orders.empty.cancelled";
  return "orders.empty";
}

/** The list an order's row suggests moving it to: a fully refunded order (status 60)
 *  still in the open list needs nothing more, so the cancelled list. */
export function moveHint(order: { status: { code: string }; list: string }): "cancelled" | null {
  return order.status.code === "60" && order.list === "open" ? "cancelled" : null;
}

export interface PageInfo {
  /** 1-based first row shown; 0 when empty. */
  from: number;
  to: number;
  total: number;
  pages: number;
  hasPrev: boolean;
  hasNext: boolean;
}

export function pageInfo(total: number, page: number, pageSize: number): PageInfo {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : Math.min(total, page * pageSize + 1);
  const to = Math.min(total, (page + 1) * pageSize);
  return { from, to, total, pages, hasPrev: page > 0, hasNext: to < total };
}

/** Toggles one order in a selection (a new set: Svelte sees the change). */
export function toggle(selection: ReadonlySet<number>, id: number): Set<number> {
  const next = new Set(selection);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  return next;
}

/** Selects every order on the page, or clears them when all already are. */
export function toggleAll(selection: ReadonlySet<number>, pageIds: number[]): Set<number> {
  const all = pageIds.length > 0 && pageIds.every((id) => selection.has(id));
  const next = new Set(selection);
  for (const id of pageIds) {
    if (all) next.delete(id);
    else next.add(id);
  }
  return next;
}

/** The lists a selection can move to: the other lists than the one shown. */
export function moveTargets(tab: ListTab): ("open" | "completed" | "cancelled")[] {
  const lists = ["open", "completed", "cancelled"] as const;
  return lists.filter((l) => l !== tab);
}
