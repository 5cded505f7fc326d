// View logic of the subscription screens (pure, unit-tested) and their one event store:
// subscription and mail-queue changes and the last desktop notification (also a bulk-capture
// run's), fed by the backend's `desk-event`s from app start; and where a click on a desktop
// notification leads.
import { writable } from "svelte/store";
import type { DeskEvent, DesktopNotification, ExpiryMonthDto } from "../bindings";

export type SubscriptionsTab = "cards" | "list" | "mail" | "settings";

/** The tab the subscriptions screen shows, and the subscription whose detail is open. */
export const subscriptionsView = writable<{ tab: SubscriptionsTab; subscriptionId: number | null }>({
  tab: "cards",
  subscriptionId: null,
});

export interface SubscriptionsState {
  /** Bumped on every subscription change: lists, detail and dashboard reload. */
  version: number;
  /** Bumped when the mail queue changed. */
  mailVersion: number;
}

/** Where a desktop notification leads, as the backend names it: a subscription
 *  notification's `screen` and `target_id`, or a finished bulk-capture run's. The payload of
 *  the shell's `open-screen` event (src-tauri/src/notify.rs `Target`). */
export type NotificationPlace = Pick<DesktopNotification, "screen" | "target_id">;

/** The shell's name for a finished bulk-capture run's screen (its detailed log). */
export const BULK_RUN_SCREEN = "bulk_run";

export const initialSubscriptionsState: SubscriptionsState = {
  version: 0,
  mailVersion: 0,
};

export function reduceSubscriptions(state: SubscriptionsState, event: DeskEvent): SubscriptionsState {
  switch (event.type) {
    case "subscriptions_changed":
      return { ...state, version: state.version + 1 };
    case "mail_queue_changed":
      return { ...state, mailVersion: state.mailVersion + 1 };
    case "renewal_failed":
      return { ...state, version: state.version + 1 };
    default:
      return state;
  }
}

export const subscriptionsState = writable<SubscriptionsState>(initialSubscriptionsState);

/** Where a notification's click leads: an order, the card dashboard, the order list
 *  filtered to near deadlines, or a bulk-capture run's detailed log. */
export type NotificationTarget =
  | { kind: "order"; orderId: number }
  | { kind: "cards" }
  | { kind: "nearDeadline" }
  | { kind: "bulkRun"; runId: number }
  | { kind: "none" };

export function notificationTarget(n: NotificationPlace): NotificationTarget {
  if (n.screen === "order" && typeof n.target_id === "number") return { kind: "order", orderId: n.target_id };
  if (n.screen === "cards") return { kind: "cards" };
  if (n.screen === "orders:near_deadline") return { kind: "nearDeadline" };
  if (n.screen === BULK_RUN_SCREEN && typeof n.target_id === "number") return { kind: "bulkRun", runId: n.target_id };
  return { kind: "none" };
}

export interface Bar {
  x: number;
  y: number;
  width: number;
  height: number;
  label: string;
  cards: number;
  revenue: number;
}

/** The 12-month expiry chart as plain SVG bars: heights scale to the busiest month;
 *  an empty chart has zero-height bars (no division by zero). */
export function chartBars(months: ExpiryMonthDto[], width: number, height: number): Bar[] {
  const max = Math.max(0, ...months.map((m) => m.cards));
  const slot = months.length > 0 ? width / months.length : 0;
  const barWidth = Math.max(1, slot * 0.64);
  return months.map((m, i) => {
    const h = max === 0 ? 0 : Math.round((m.cards / max) * height);
    return {
      x: Math.round(i * slot + (slot - barWidth) / 2),
      y: height - h,
      width: Math.round(barWidth),
      height: h,
      label: `${m.month}`,
      cards: m.cards,
      revenue: m.monthly_revenue_yen,
    };
  });
}

export type ScheduleKind = "off" | "daily" | "weekly" | "monthly";

export interface Schedule {
  kind: ScheduleKind;
  day: number;
  hour: number;
}

/** The backend's schedule code: `off`, `daily:9`, `weekly:mon:9`, `monthly:1:9`. */
export function scheduleCode(s: Schedule): string {
  const hour = Math.min(23, Math.max(0, Math.trunc(s.hour)));
  switch (s.kind) {
    case "off":
      return "off";
    case "daily":
      return `daily:${hour}`;
    case "weekly":
      return `weekly:mon:${hour}`;
    case "monthly":
      return `monthly:${Math.min(31, Math.max(1, Math.trunc(s.day)))}:${hour}`;
  }
}

export function parseSchedule(code: string): Schedule {
  const parts = code.split(":");
  const num = (s: string | undefined, fallback: number) => {
    const n = Number(s);
    return Number.isInteger(n) ? n : fallback;
  };
  switch (parts[0]) {
    case "daily":
      return { kind: "daily", day: 1, hour: num(parts[1], 9) };
    case "weekly":
      return { kind: "weekly", day: 1, hour: num(parts[2], 9) };
    case "monthly":
      return { kind: "monthly", day: num(parts[1], 1), hour: num(parts[2], 9) };
    default:
      return { kind: "off", day: 1, hour: 9 };
  }
}

/** Adds or removes one id from a selection (a new array; order kept). */
export function toggle(selection: number[], id: number): number[] {
  return selection.includes(id) ? selection.filter((x) => x !== id) : [...selection, id];
}

/** A badge tone for a card state code. */
export function cardTone(state: string): string {
  switch (state) {
    case "expired":
      return "tone-danger";
    case "expiring_soon":
      return "tone-near";
    case "valid":
      return "tone-ok";
    default:
      return "tone-muted";
  }
}

/** True once a reported click can reach the UI (the `open-screen` listener is registered;
 *  the end-to-end tests wait for it). */
export const notificationClicksReady = writable(false);

/** Opens the screen of a clicked desktop notification: the shell's `open-screen` event,
 *  sent for a click the platform reports and for a second launch after a notification
 *  nobody clicked (Windows' Action Center; src-tauri/src/notify.rs), and a click that came
 *  before this listener existed (`takeMissedClick`). Nothing else moves the shop owner to
 *  another screen: coming back to the window keeps the screen they were on. */
export function followNotifications(
  open: (target: NotificationTarget) => void,
  takeMissedClick: () => Promise<NotificationPlace | null>,
): () => void {
  let stopped = false;
  let unlisten = () => {};
  const takeMissed = () =>
    takeMissedClick().catch((e) => {
      console.warn("missed notification click unavailable", e);
      return null;
    });
  import("@tauri-apps/api/event")
    .then(({ listen }) =>
      listen<NotificationPlace>("open-screen", (e) => {
        // This click is opened now: the shell need not keep it for a late listener.
        void takeMissed();
        open(notificationTarget(e.payload));
      }),
    )
    .then(async (u) => {
      if (stopped) {
        void u();
        return;
      }
      unlisten = u;
      notificationClicksReady.set(true);
      // A click reported while the UI was still starting (before it listened).
      const missed = await takeMissed();
      if (missed && !stopped) open(notificationTarget(missed));
    })
    .catch((e) => console.warn("notification clicks unavailable", e));
  return () => {
    stopped = true;
    unlisten();
  };
}
