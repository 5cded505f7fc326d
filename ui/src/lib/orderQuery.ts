// The order lists' screen state (tab, search, filters, page, selection) and how it turns
// into the backend's query. Pure, so paging and selection are unit-tested.
import type { MessageKey } from "./i18n";
import { statusCodesFor } from "./status";

export type ListTab = "open" | "completed" | "cancelled" | "all";
export type DeadlineFilter = "" | "near" | "lapsed";

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
  /** Zero-based. */
  page: number;
}

export function initialState(tab: ListTab = "open"): ListState {
  return { tab, search: "", status: "", deadline: "", page: 0 };
}

/** What the home screen's counts open. */
export function stateForCount(count: "open" | "near" | "lapsed" | "outside"): ListState {
  switch (count) {
    case "open":
      return initialState("open");
    case "near":
      return { ...initialState("all"), deadline: "near" };
    case "lapsed":
      return { ...initialState("all"), deadline: "lapsed" };
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
    page: state.page,
    page_size: pageSize,
  };
}

/** Any filter or search narrows the list (the empty state then says so). */
export function isFiltered(state: ListState): boolean {
  return state.search.trim() !== "" || state.status !== "" || state.deadline !== "";
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
