// Money is integer yen; times are stored in UTC and shown in Asia/Tokyo.

const yen = new Intl.NumberFormat("ja-JP");

export function formatYen(amount: number): string {
  if (!Number.isSafeInteger(amount)) throw new Error(`not an integer yen amount: ${amount}`);
  return `¥${yen.format(amount)}`;
}

const tokyo = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  hour12: false,
});

/** An RFC 3339 UTC timestamp shown as Tokyo time, e.g. "2026/12/01 22:32". */
export function formatTokyo(utc: string): string {
  return tokyo.format(new Date(utc));
}

const tokyoDate = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
});

/** The Tokyo calendar date of an instant, e.g. "2026/12/02". */
export function formatTokyoDate(utc: string): string {
  return tokyoDate.format(new Date(utc));
}

const tokyoSeconds = new Intl.DateTimeFormat("ja-JP", {
  timeZone: "Asia/Tokyo",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});

/** With seconds, for the change history, e.g. "2026/12/02 00:30:05". */
export function formatTokyoSeconds(utc: string): string {
  return tokyoSeconds.format(new Date(utc));
}
