// "3分前 / 3 min ago": how long ago (or until) an instant is, in the shop owner's words.
// Pure: the current time is passed in, so tests need no clock.
import type { Language } from "./i18n";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** `then` and `now` are RFC 3339 strings or epoch milliseconds. */
export function relativeTime(then: string | number, now: string | number, language: Language): string {
  const diff = toMs(now) - toMs(then);
  const past = diff >= 0;
  const abs = Math.abs(diff);
  if (abs < 45_000) return language === "ja" ? "たった今" : "just now";
  let n: number;
  let unitJa: string;
  let unitEn: string;
  if (abs < HOUR) {
    n = Math.max(1, Math.round(abs / MINUTE));
    unitJa = "分";
    unitEn = "min";
  } else if (abs < DAY) {
    n = Math.floor(abs / HOUR);
    unitJa = "時間";
    unitEn = n === 1 ? "hour" : "hours";
  } else {
    n = Math.floor(abs / DAY);
    unitJa = "日";
    unitEn = n === 1 ? "day" : "days";
  }
  if (language === "ja") return past ? `${n}${unitJa}前` : `${n}${unitJa}後`;
  return past ? `${n} ${unitEn} ago` : `in ${n} ${unitEn}`;
}

/** Whole days from `now` until `then` (negative once passed), for deadline badges. */
export function daysUntil(then: string | number, now: string | number): number {
  return Math.floor((toMs(then) - toMs(now)) / DAY);
}

function toMs(t: string | number): number {
  const ms = typeof t === "number" ? t : Date.parse(t);
  if (Number.isNaN(ms)) throw new Error(`not a time: ${t}`);
  return ms;
}
