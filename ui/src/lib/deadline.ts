// Deadline badges for lists and the detail screen: "near" is a flag, "lapsed" is said
// plainly (不成立 for a missed capture; the refund window closing for a refund deadline).
// The backend decides the state with the rules table; this only turns it into words.
import type { MessageKey } from "./i18n";
import { formatTokyoDate } from "./format";

export type DeadlineKind = "capture" | "refund";
export type DeadlineStateCode = "ok" | "near" | "lapsed";

export interface DeadlineInfo {
  kind: DeadlineKind;
  /** RFC 3339 UTC. */
  at: string;
  state: DeadlineStateCode;
}

export type Tone = "ok" | "near" | "lapsed" | "muted";

export interface Badge {
  tone: Tone;
  key: MessageKey;
  vars: Record<string, string | number>;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The badge of an order's deadline at `now`; `null` when no deadline applies. */
export function deadlineBadge(deadline: DeadlineInfo | null | undefined, now: number): Badge | null {
  if (!deadline) return null;
  const date = formatTokyoDate(deadline.at);
  if (deadline.state === "lapsed") {
    return deadline.kind === "capture"
      ? { tone: "lapsed", key: "deadline.capture.lapsed", vars: { date } }
      : { tone: "muted", key: "deadline.refund.lapsed", vars: { date } };
  }
  const left = Date.parse(deadline.at) - now;
  if (deadline.state === "near") {
    if (left < DAY) {
      const hours = Math.max(1, Math.floor(left / HOUR));
      return { tone: "near", key: `deadline.${deadline.kind}.nearHours`, vars: { n: hours, date } };
    }
    return { tone: "near", key: `deadline.${deadline.kind}.near`, vars: { n: Math.floor(left / DAY), date } };
  }
  return { tone: "ok", key: `deadline.${deadline.kind}.ok`, vars: { date } };
}
