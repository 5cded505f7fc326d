// The UI's words in Japanese (default) and English. Error texts do not live here: they
// come from the Rust side's one error dictionary inside each AppError.
import { derived, writable } from "svelte/store";

export type Language = "ja" | "en";

const messages = {
  ja: {
    "app.tagline": "ペイジェント決済の受注・売上・定期購入をひとつの画面で",
    "nav.home": "ホーム",
    "nav.orders": "受注",
    "nav.bulkCapture": "売上確定一括処理",
    "nav.subscriptions": "定期購入",
    "nav.settings": "設定",
    "lang.switch": "English",
    "home.title": "ホーム",
    "home.keychain": "キーチェーン",
    "home.keychain.ok": "利用できます。加盟店の秘密情報は OS のキーチェーンに保存されます。",
    "home.keychain.checking": "確認中…",
    "home.gateway": "ペイジェント接続",
    "home.gateway.none": "まだ設定されていません。設定画面で加盟店情報を入力してください。",
    "home.relay": "決済通知(リレー)",
    "home.relay.none": "リレーは未設定です。設定するまでは PayDesk がペイジェントに直接問い合わせます。",
    "home.deadlines": "期限が近い受注",
    "home.deadlines.none": "受注はまだありません。",
    "home.version": "バージョン",
    "screen.orders.lead": "受注一覧(受注・受注完了・受注キャンセル)、取引ID・注文番号での検索、売上確定・キャンセル・返金・金額変更と変更履歴をここで扱います。",
    "screen.bulkCapture.lead": "オーソリ済みで未売上の受注を最大 50 件まとめて売上確定し、操作ログと詳細ログを残します。",
    "screen.subscriptions.lead": "定期購入の次回受注、失敗した継続課金への対応、カード有効期限の一覧と購入者へのメールを扱います。",
    "screen.settings.lead": "マーチャントID・接続ID・接続パスワード・クライアント証明書・ハッシュキーなどは OS のキーチェーンにだけ保存されます。",
    "screen.pending": "この画面は次のリリースで使えるようになります。",
  },
  en: {
    "app.tagline": "Orders, captures and subscriptions on Paygent, in one place",
    "nav.home": "Home",
    "nav.orders": "Orders",
    "nav.bulkCapture": "Bulk capture",
    "nav.subscriptions": "Subscriptions",
    "nav.settings": "Settings",
    "lang.switch": "日本語",
    "home.title": "Home",
    "home.keychain": "Keychain",
    "home.keychain.ok": "Available. Merchant secrets are kept in the OS keychain.",
    "home.keychain.checking": "Checking…",
    "home.gateway": "Paygent connection",
    "home.gateway.none": "Not set up yet. Enter your merchant details in Settings.",
    "home.relay": "Payment notifications (relay)",
    "home.relay.none": "No relay set up. Until you add one, PayDesk asks Paygent directly.",
    "home.deadlines": "Orders near their deadline",
    "home.deadlines.none": "No orders yet.",
    "home.version": "Version",
    "screen.orders.lead": "Open, completed and cancelled order lists, search by transaction ID or order number, capture, cancel, refunds, amount changes and the change history.",
    "screen.bulkCapture.lead": "Capture up to 50 authorized orders in one run, with an operation log and a detailed log.",
    "screen.subscriptions.lead": "Renewals, failed renewals and what to do about them, card-expiry lists and buyer e-mails.",
    "screen.settings.lead": "Merchant ID, connect ID and password, client certificate and hash key are stored only in the OS keychain.",
    "screen.pending": "This screen arrives in the next release.",
  },
} as const;

export type MessageKey = keyof (typeof messages)["ja"];

/** Looks a key up in one language; pure, so it is unit-tested without a DOM. */
export function translate(language: Language, key: MessageKey): string {
  return messages[language][key];
}

export function otherLanguage(language: Language): Language {
  return language === "ja" ? "en" : "ja";
}

/** Every key exists in both languages (checked by a unit test). */
export function missingKeys(): string[] {
  const ja = Object.keys(messages.ja);
  const en = new Set(Object.keys(messages.en));
  return ja.filter((k) => !en.has(k));
}

const STORAGE_KEY = "paydesk.language";

function initialLanguage(): Language {
  const saved = typeof localStorage !== "undefined" ? localStorage.getItem(STORAGE_KEY) : null;
  return saved === "en" ? "en" : "ja";
}

export const language = writable<Language>(initialLanguage());
language.subscribe((l) => {
  if (typeof localStorage !== "undefined") localStorage.setItem(STORAGE_KEY, l);
  if (typeof document !== "undefined") document.documentElement.lang = l;
});

/** `$t("nav.home")` in components. */
export const t = derived(language, (l) => (key: MessageKey) => translate(l, key));
