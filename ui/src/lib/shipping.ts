// Fulfilment's view logic, pure and unit-tested: the carriers in the order the dialogs
// list them, a default file name, and the tracking-import report's tones.
import type { CarrierCode, TrackingLineOutcome } from "../bindings";

export const CARRIERS: CarrierCode[] = ["yamato", "sagawa", "japan_post"];

/** `yamato-labels-20261207.csv`: the carrier and the ship date, so files never mix up. */
export function labelFileName(carrier: CarrierCode, shipDate: string): string {
  const day = shipDate.replaceAll("-", "");
  return `${carrier.replace("_", "-")}-labels${day === "" ? "" : `-${day}`}.csv`;
}

export function outcomeTone(outcome: TrackingLineOutcome): "ok" | "muted" | "warn" {
  switch (outcome) {
    case "added":
      return "ok";
    case "already_recorded":
      return "muted";
    case "refused":
      return "warn";
  }
}
