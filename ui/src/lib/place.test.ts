import { describe, expect, it } from "vitest";
import { initialState } from "./orderQuery";
import { placeJson, routeFromPlace } from "./place";

describe("the place a new window opens on", () => {
  it("reads back the route it left", () => {
    const route = { screen: "orders" as const, list: { ...initialState("all"), search: "E2E", page: 2 }, orderId: 41 };
    expect(routeFromPlace(placeJson(route))).toEqual(route);
  });

  it("reopens every screen, Sales and the setup guide too", () => {
    for (const screen of ["home", "orders", "bulkCapture", "subscriptions", "sales", "settings", "guide"] as const) {
      const route = { screen, list: initialState(), orderId: null };
      expect(routeFromPlace(placeJson(route))).toEqual(route);
    }
  });

  it("opens Home for nothing, bad JSON or an unknown screen", () => {
    expect(routeFromPlace(null)).toBeNull();
    expect(routeFromPlace("{")).toBeNull();
    expect(routeFromPlace('{"screen":"nowhere"}')).toBeNull();
    expect(routeFromPlace("[]")).toBeNull();
  });

  it("keeps only well-typed list fields and an order only on the orders screen", () => {
    const r = routeFromPlace('{"screen":"bulkCapture","orderId":5,"list":{"tab":"completed","page":"x"}}');
    expect(r).toEqual({ screen: "bulkCapture", list: { ...initialState(), tab: "completed" }, orderId: null });
  });
});
