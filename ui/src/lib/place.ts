// The screen a new window opens on. Closing the window destroys it (the webview's memory
// is released; src-tauri/src/window.rs), so the UI leaves its place with the shell at each
// change, and a window made later reads it back, with a notification click not yet
// followed, from `window.__PAYDESK_START__` before its first frame: it paints that screen
// first, with no jump from Home.
import { initialState, type ListState } from "./orderQuery";
import { screens, type Route, type Screen } from "./nav";
import type { NotificationPlace } from "./subscriptions";

// Every screen of the sidebar, and the setup guide (a list written out here once left Sales
// out, so a window closed on Sales opened on Home).
const SCREENS: readonly Screen[] = [...screens.map((s) => s.id), "guide"];

/** What the shell hands a new window (see `window::create`). */
export interface StartState {
  /** The last place the UI left, as JSON (`placeJson`), or null. */
  place: string | null;
  /** A notification click made while no window listened, or null. */
  click: NotificationPlace | null;
}

export function placeJson(route: Route): string {
  return JSON.stringify(route);
}

/** The route a left place describes, or null when it is not one (then Home opens). */
export function routeFromPlace(json: string | null | undefined): Route | null {
  if (!json) return null;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof value !== "object" || value === null) return null;
  const v = value as Partial<Record<keyof Route, unknown>>;
  if (!SCREENS.includes(v.screen as Screen)) return null;
  const orderId = typeof v.orderId === "number" && Number.isInteger(v.orderId) ? v.orderId : null;
  const base = initialState();
  const list = { ...base } as ListState;
  if (typeof v.list === "object" && v.list !== null) {
    const given = v.list as Record<string, unknown>;
    for (const key of Object.keys(base) as (keyof ListState)[]) {
      if (typeof given[key] === typeof base[key]) (list as unknown as Record<string, unknown>)[key] = given[key];
    }
  }
  return { screen: v.screen as Screen, list, orderId: v.screen === "orders" ? orderId : null };
}

/** The shell's start state, if this window was made with one. */
export function startState(): StartState | null {
  const s = (globalThis as { __PAYDESK_START__?: StartState }).__PAYDESK_START__;
  return s && typeof s === "object" ? s : null;
}
