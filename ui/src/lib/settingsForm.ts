// The settings form: what the shop owner typed, checked before saving, and turned into the
// backend's inputs. Secrets typed here go straight to the backend (and the keychain); an
// empty box keeps the stored value, "Remove" sends an empty string to delete it.
import type { MessageKey } from "./i18n";

export type Environment = "simulator" | "sandbox" | "production";

export interface SettingsForm {
  environment: Environment;
  custom_base_url: string;
  custom_ca_path: string;
  relay_url: string;
  shop_name: string;
  capture_mode_for_new: "authorize_only" | "authorize_and_capture";
  merchant_id: string;
  connect_id: string;
  connect_password: string;
  client_certificate_path: string;
  client_certificate_passphrase: string;
  hash_key: string;
  relay_token: string;
}

export type SecretField =
  | "merchant_id"
  | "connect_id"
  | "connect_password"
  | "client_certificate"
  | "client_certificate_passphrase"
  | "hash_key"
  | "relay_token";

export type FormProblems = Partial<Record<keyof SettingsForm, MessageKey>>;

export function emptyForm(): SettingsForm {
  return {
    environment: "sandbox",
    custom_base_url: "",
    custom_ca_path: "",
    relay_url: "",
    shop_name: "",
    capture_mode_for_new: "authorize_only",
    merchant_id: "",
    connect_id: "",
    connect_password: "",
    client_certificate_path: "",
    client_certificate_passphrase: "",
    hash_key: "",
    relay_token: "",
  };
}

function isUrl(s: string): boolean {
  return /^https?:\/\/[^\s/]+/.test(s);
}

/** Problems per field; empty when the form can be saved. `certificateStored` lets a new
 *  passphrase go with an already stored certificate. */
export function validate(form: SettingsForm, certificateStored: boolean): FormProblems {
  const p: FormProblems = {};
  const url = form.custom_base_url.trim();
  if (form.environment === "simulator" && url === "") p.custom_base_url = "settings.invalid.customUrlRequired";
  else if (url !== "" && !isUrl(url)) p.custom_base_url = "settings.invalid.url";
  const relay = form.relay_url.trim();
  if (relay !== "" && !isUrl(relay)) p.relay_url = "settings.invalid.url";
  if (form.merchant_id.trim() !== "" && !/^\d+$/.test(form.merchant_id.trim())) p.merchant_id = "settings.invalid.merchantId";
  if (form.client_certificate_passphrase !== "" && form.client_certificate_path.trim() === "" && !certificateStored) {
    p.client_certificate_passphrase = "settings.invalid.passphraseWithoutCertificate";
  }
  return p;
}

const keepOrSet = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/** The backend's `SettingsInput`: blank boxes keep the stored value. */
export function settingsInput(form: SettingsForm) {
  return {
    environment: form.environment,
    custom_base_url: form.environment === "simulator" ? keepOrSet(form.custom_base_url) : null,
    custom_ca_path: keepOrSet(form.custom_ca_path),
    relay_url: form.relay_url.trim(), // an empty box clears the relay
    shop_name: keepOrSet(form.shop_name),
    capture_mode_for_new: form.capture_mode_for_new,
  };
}

/** The backend's `CredentialsInput`: only what was typed; passwords are not trimmed. */
export function credentialsInput(form: SettingsForm) {
  const secret = (s: string): string | null => (s === "" ? null : s);
  return {
    merchant_id: keepOrSet(form.merchant_id),
    connect_id: keepOrSet(form.connect_id),
    connect_password: secret(form.connect_password),
    client_certificate_path: keepOrSet(form.client_certificate_path),
    client_certificate_passphrase: secret(form.client_certificate_passphrase),
    hash_key: secret(form.hash_key),
    relay_token: secret(form.relay_token),
  };
}

/** The connection test's input: the form as it is on screen, unsaved. The backend tests
 *  these values over the saved ones and stores none of them. */
export function connectionTestInput(form: SettingsForm) {
  return { settings: settingsInput(form), credentials: credentialsInput(form) };
}

/** The line beside "Save" and "Test": "ready" only while no test has failed. A failed
 *  test wins over "everything is set" (issue 15: never "ready" beside a failure). */
export function readinessLine(
  complete: boolean,
  test: { ok: boolean } | null,
): { key: MessageKey; tone: "ok" | "warn" } {
  if (test && !test.ok) return { key: "settings.completeButFailed", tone: "warn" };
  if (!complete) return { key: "settings.incomplete", tone: "warn" };
  return { key: test?.ok ? "settings.completeAndTested" : "settings.complete", tone: "ok" };
}

/** The `CredentialsInput` that deletes one stored secret. */
export function removal(field: SecretField) {
  const key = field === "client_certificate" ? "client_certificate_path" : field;
  return { [key]: "" };
}

/** Whether anything secret was typed (the form then clears those boxes after saving). */
export function hasSecrets(form: SettingsForm): boolean {
  return Object.values(credentialsInput(form)).some((v) => v !== null);
}

/** The path boxes that have a "Choose…" button beside them. */
export type FileChoice = "client_certificate_path" | "custom_ca_path";

/** What the system's file dialog shows for one path box: its title and the one filter. */
export interface FileDialogRequest {
  title: MessageKey;
  filterName: MessageKey;
  extensions: string[];
}

/** The file dialog for a path box. A client certificate comes as PEM (certificate and key
 *  in one file, or the key alone) or PKCS#12; the simulator's CA must be PEM text. */
export function fileDialogFor(choice: FileChoice): FileDialogRequest {
  switch (choice) {
    case "client_certificate_path":
      return {
        title: "settings.choose.certificateTitle",
        filterName: "settings.choose.certificateFiles",
        extensions: ["pem", "crt", "p12", "pfx", "key"],
      };
    case "custom_ca_path":
      return { title: "settings.choose.caTitle", filterName: "settings.choose.caFiles", extensions: ["pem", "crt", "cer"] };
  }
}
