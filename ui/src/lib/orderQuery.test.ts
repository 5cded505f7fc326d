import { get } from "svelte/store";
import { describe, expect, it } from "vitest";
import { translate } from "./i18n";
import { go, openOrder, route } from "./nav";
import {
  activeFilters,
  clearFilters,
  emptyKey,
  initialState,
  isFiltered,
  moveHint,
  moveTargets,
  pageInfo,
  stateForCount,
  toggle,
  toggleAll,
  toQuery,
} from "./orderQuery";

describe("toQuery", () => {
  it("asks for the first page of the open list by default", () => {
    expect(toQuery(initialState())).toEqual({
      list: "open",
      statuses: [],
      deadline: null,
      search: null,
      method: null,
      ordered_from: null,
      ordered_to: null,
      deposit: null,
      sort: "newest",
      page: 0,
      page_size: 50,
    });
  });
  it("searches all lists from the 'all' tab, with trimmed text and filters", () => {
    const q = toQuery({ ...initialState("all"), search: "  山田 ", status: "authorized", deadline: "near", page: 2 });
    expect(q).toMatchObject({ list: null, statuses: ["20"], deadline: "near", search: "山田", page: 2, page_size: 50 });
  });
  it("passes the payment method, the Japan days and the sort to the backend", () => {
    const q = toQuery({ ...initialState(), method: "paidy", from: "2026-12-01", to: "2026-12-31", sort: "amount_high" });
    expect(q).toMatchObject({ method: "paidy", ordered_from: "2026-12-01", ordered_to: "2026-12-31", sort: "amount_high" });
    expect(toQuery({ ...initialState(), from: "2026-12-01" })).toMatchObject({ ordered_from: "2026-12-01", ordered_to: null });
  });
});

describe("filters shown and reset (issue 15, point 10)", () => {
  it("names every active filter, and clearing keeps the tab and the sort", () => {
    const state = { ...initialState("completed"), search: "山田", method: "card" as const, from: "2026-12-01", sort: "deadline" as const, page: 3 };
    expect(activeFilters(state)).toEqual(["search", "method", "dates"]);
    expect(activeFilters(initialState())).toEqual([]);
    expect(clearFilters(state)).toEqual({ ...initialState("completed"), sort: "deadline" });
  });
  it("the deposit check filter (issue 20) is named, sent and cleared like the others", () => {
    const state = { ...initialState("all"), deposit: "waiting" as const };
    expect(activeFilters(state)).toEqual(["deposit"]);
    expect(toQuery(state)).toMatchObject({ list: null, deposit: "waiting" });
    expect(clearFilters(state).deposit).toBe("");
  });
  it("leaving the orders screen resets the filters; opening an order and coming back keeps them", () => {
    const filtered = { ...initialState("all"), method: "paidy" as const, status: "authorized" };
    route.set({ screen: "orders", list: filtered, orderId: null });
    openOrder(7);
    expect(get(route).list).toEqual(filtered);
    go("orders");
    expect(get(route).list).toEqual(filtered);
    go("home");
    expect(get(route).list).toEqual(initialState("all"));
    expect(isFiltered(get(route).list)).toBe(false);
  });
});

describe("list hints (issue 15, polish)", () => {
  it("says how orders reach the completed and cancelled lists: they are moved there", () => {
    expect(emptyKey("open", false)).toBe("orders.empty");
    expect(emptyKey("all", false)).toBe("orders.empty");
    expect(emptyKey("completed", false)).toBe("orders.empty.completed");
    expect(emptyKey("cancelled", false)).toBe("orders.empty.cancelled");
    expect(emptyKey("cancelled", true)).toBe("orders.empty.filtered");
    // The words: they are moved there, never "when a payment notification comes".
    for (const language of ["ja", "en"] as const) {
      for (const tab of ["completed", "cancelled"] as const) {
        const words = translate(language, emptyKey(tab, false));
        expect(words).toMatch(language === "ja" ? /移/ : /move/i);
        expect(words).not.toMatch(language === "ja" ? /通知/ : /notification/i);
      }
    }
  });
  it("suggests moving a fully refunded order out of the open list", () => {
    expect(moveHint({ status: { code: "60" }, list: "open" })).toBe("cancelled");
    expect(moveHint({ status: { code: "60" }, list: "cancelled" })).toBeNull();
    expect(moveHint({ status: { code: "40" }, list: "open" })).toBeNull();
  });
});

describe("home counts", () => {
  it("open the matching filtered list, most urgent first", () => {
    expect(toQuery(stateForCount("near"))).toMatchObject({ list: null, deadline: "near", sort: "deadline" });
    expect(toQuery(stateForCount("lapsed"))).toMatchObject({ list: null, deadline: "lapsed", sort: "deadline" });
    expect(toQuery(stateForCount("open"))).toMatchObject({ list: "open", deadline: null });
  });
});

describe("isFiltered", () => {
  it("knows when the empty state is due to filters", () => {
    expect(isFiltered(initialState())).toBe(false);
    expect(isFiltered({ ...initialState(), search: " " })).toBe(false);
    expect(isFiltered({ ...initialState(), deadline: "lapsed" })).toBe(true);
  });
});

describe("pageInfo", () => {
  it("numbers rows from 1", () => {
    expect(pageInfo(847, 0, 50)).toEqual({ from: 1, to: 50, total: 847, pages: 17, hasPrev: false, hasNext: true });
    expect(pageInfo(847, 16, 50)).toEqual({ from: 801, to: 847, total: 847, pages: 17, hasPrev: true, hasNext: false });
  });
  it("handles an empty list", () => {
    expect(pageInfo(0, 0, 50)).toEqual({ from: 0, to: 0, total: 0, pages: 1, hasPrev: false, hasNext: false });
  });
});

describe("selection", () => {
  it("toggles one order", () => {
    const s = toggle(new Set([1]), 2);
    expect([...s].sort()).toEqual([1, 2]);
    expect([...toggle(s, 1)]).toEqual([2]);
  });
  it("selects a whole page, then clears it", () => {
    const all = toggleAll(new Set([1]), [1, 2, 3]);
    expect([...all].sort()).toEqual([1, 2, 3]);
    expect([...toggleAll(all, [1, 2, 3])]).toEqual([]);
  });
  it("offers the other lists as move targets", () => {
    expect(moveTargets("open")).toEqual(["completed", "cancelled"]);
    expect(moveTargets("all")).toEqual(["open", "completed", "cancelled"]);
  });
});
