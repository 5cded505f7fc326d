import { describe, expect, it } from "vitest";
import { initialState, isFiltered, moveTargets, pageInfo, stateForCount, toggle, toggleAll, toQuery } from "./orderQuery";

describe("toQuery", () => {
  it("asks for the first page of the open list by default", () => {
    expect(toQuery(initialState())).toEqual({
      list: "open",
      statuses: [],
      deadline: null,
      search: null,
      page: 0,
      page_size: 50,
    });
  });
  it("searches all lists from the 'all' tab, with trimmed text and filters", () => {
    const q = toQuery({ tab: "all", search: "  山田 ", status: "authorized", deadline: "near", page: 2 });
    expect(q).toEqual({ list: null, statuses: ["20"], deadline: "near", search: "山田", page: 2, page_size: 50 });
  });
});

describe("home counts", () => {
  it("open the matching filtered list", () => {
    expect(toQuery(stateForCount("near"))).toMatchObject({ list: null, deadline: "near" });
    expect(toQuery(stateForCount("lapsed"))).toMatchObject({ list: null, deadline: "lapsed" });
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
