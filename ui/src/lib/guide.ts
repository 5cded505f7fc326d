// The setup guide's view logic: its pages, which of them can be opened (a step's page only
// once the step before it passed its test), where a resumed guide opens, and the inputs
// each step sends. The backend checks the order again and tests before it saves anything.
import type { SetupGuide, SmtpSettingsInput } from "./api";
import { credentialsInput, settingsInput, type SettingsForm } from "./settingsForm";

export type GuidePage = "start" | "gateway" | "notifications" | "mail" | "done";

export const guidePages: GuidePage[] = ["start", "gateway", "notifications", "mail", "done"];

type Steps = Pick<SetupGuide, "gateway" | "notifications" | "mail">;

/** Whether `page` can be opened now: each step's page needs the step before it taken. */
export function reachable(page: GuidePage, steps: Steps): boolean {
  switch (page) {
    case "start":
    case "gateway":
      return true;
    case "notifications":
      return steps.gateway === "done";
    case "mail":
      return steps.gateway === "done" && steps.notifications !== "todo";
    case "done":
      return steps.gateway === "done" && steps.notifications !== "todo" && steps.mail !== "todo";
  }
}

/** Where the guide opens: the start page when nothing is done yet, else the first step
 *  still to do (a resumed guide goes on where it stopped). */
export function resumePage(steps: Steps): GuidePage {
  if (steps.gateway === "todo") return steps.notifications === "todo" && steps.mail === "todo" ? "start" : "gateway";
  if (steps.notifications === "todo") return "notifications";
  if (steps.mail === "todo") return "mail";
  return "done";
}

/** Step 1's input: the connection values as Settings' connection test takes them; the
 *  relay is step 2's, so it is left out. */
export function gatewayInput(form: SettingsForm) {
  const settings = { ...settingsInput(form), relay_url: null, shop_name: null, capture_mode_for_new: null };
  const credentials = { ...credentialsInput(form), relay_token: null, hash_key: null };
  return { settings, credentials };
}

export interface RelayForm {
  use_relay: boolean;
  relay_url: string;
  relay_token: string;
  hash_key: string;
}

/** Step 2's input; a secret box left empty sends nothing. */
export function notificationsInput(form: RelayForm) {
  const orNull = (s: string) => (s.trim() === "" ? null : s.trim());
  return {
    use_relay: form.use_relay,
    relay_url: form.use_relay ? orNull(form.relay_url) : null,
    relay_token: form.use_relay ? orNull(form.relay_token) : null,
    hash_key: orNull(form.hash_key),
  };
}

export interface MailForm {
  host: string;
  port: string;
  security: "tls" | "starttls" | "plain";
  username: string;
  password: string;
  from_address: string;
}

/** Step 3's input (the mail settings' own input). The port box is digits or empty. */
export function mailInput(form: MailForm): SmtpSettingsInput {
  const orNull = (s: string) => (s.trim() === "" ? null : s.trim());
  const port = form.port.trim() === "" ? null : Number(form.port.trim());
  return {
    host: orNull(form.host),
    port: port !== null && Number.isInteger(port) && port > 0 && port < 65536 ? port : null,
    security: form.security,
    username: orNull(form.username),
    password: form.password === "" ? null : form.password,
    from_address: orNull(form.from_address),
    from_name: null,
    shop_contact: null,
    summary_to: null,
    mail_language: null,
    reminder_schedule: null,
    summary_schedule: null,
  };
}

/** The commands the shop's relay operator runs (from crates/relay/README.md). */
export const relayCommands = {
  addShop: "paydesk-relay add-shop --config relay.toml --shop myshop",
  addDesktop: 'paydesk-relay add-desktop --config relay.toml --shop myshop --name "front desk"',
};
