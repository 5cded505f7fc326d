//! The one error dictionary: every gateway `response_code` (§8.1), card
//! `response_detail` vendor code (§8.2), module code (§3.3) and the codes seen in the seed
//! documents (31001, 1502, P010), each with a category, a plain Japanese and English
//! explanation and what the shop owner can do.
//!
//! Layout: [`ENTRIES`] is the table (a code may be a pattern with `*` for "any
//! character", e.g. `1C**`); [`CONTEXT_NOTES`] refines an entry for one [`ErrorContext`]
//! (P010 on a renewal most likely means the stored card expired); [`explain`] and
//! [`explain_with_detail`] look codes up and never fail: an unknown code gets a generic
//! explanation that names it.

/// What kind of problem a code is; the UI and the retry decision switch on this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Temporary: the same telegram may succeed later.
    Retryable,
    /// Merchant ID, connect ID/password, client certificate or source IP is wrong.
    Credentials,
    /// The buyer's card was refused or its data is wrong.
    CardProblem,
    /// The payment is not in a status that allows the operation.
    StateConflict,
    /// A deadline (authorization, capture, refund window) has passed.
    DeadlinePassed,
    /// The operation needs a contract option the merchant does not have.
    NotContracted,
    /// Paygent or a card network is failing or under maintenance.
    GatewayDown,
    /// A value PayDesk sent was refused (usually a PayDesk bug or bad input).
    InvalidRequest,
    /// The payment, card or record does not exist.
    NotFound,
    /// A code this dictionary does not know.
    Unknown,
}

impl Category {
    /// Whether sending the same telegram again later may succeed.
    pub fn is_retryable(self) -> bool {
        matches!(self, Category::Retryable | Category::GatewayDown)
    }
}

/// Where a code comes from: the same digits mean different things as a `response_code`
/// and as a card `response_detail` (e.g. `2001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Namespace {
    /// `response_code` of a `result=1` answer (§8.1), plus the seed's codes.
    ResponseCode,
    /// Card vendor code in `response_detail` (§8.2).
    CardDetail,
    /// Official module's own codes (§3.3); PayDesk's client errors map onto these.
    Module,
}

/// What the shop owner was doing; the same code can mean something more specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorContext {
    /// A first purchase (new authorization with a token).
    FirstPurchase,
    /// A subscription renewal (authorization with a stored card).
    Renewal,
    /// Capture (022, 341).
    Capture,
    /// Cancel before capture (021, 340).
    Cancel,
    /// Full or partial refund (023, 029, 342).
    Refund,
    /// Amount change before capture (028).
    AmountChange,
    /// Stored card register / delete / list (025–027).
    StoredCard,
    /// Payment or difference inquiry (094, 091).
    Inquiry,
    /// The settings screen's connection test.
    ConnectionTest,
    /// Anything else.
    Other,
}

/// One dictionary row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The code, or a pattern where `*` matches any one character.
    pub code: &'static str,
    /// Which field the code appears in.
    pub namespace: Namespace,
    /// Kind of problem.
    pub category: Category,
    /// Plain Japanese explanation.
    pub ja: &'static str,
    /// Plain English explanation.
    pub en: &'static str,
    /// What the shop owner can do (Japanese).
    pub action_ja: &'static str,
    /// What the shop owner can do (English).
    pub action_en: &'static str,
}

/// A context-specific refinement of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContextNote {
    /// The code refined.
    pub code: &'static str,
    /// The context in which it applies.
    pub context: ErrorContext,
    /// Likely cause (Japanese).
    pub ja: &'static str,
    /// Likely cause (English).
    pub en: &'static str,
    /// What to do (Japanese).
    pub action_ja: &'static str,
    /// What to do (English).
    pub action_en: &'static str,
}

/// The explanation shown to the shop owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The code as shown to the user (`P010`, or `2003/1G83` with a detail code).
    pub code: String,
    /// Kind of problem.
    pub category: Category,
    /// Whether the dictionary knew the code.
    pub known: bool,
    /// Plain Japanese explanation.
    pub ja: String,
    /// Plain English explanation.
    pub en: String,
    /// What to do (Japanese).
    pub action_ja: String,
    /// What to do (English).
    pub action_en: String,
}

/// Looks up a code in one namespace: exact match first, then the first matching pattern.
pub fn lookup(code: &str, namespace: Namespace) -> Option<&'static Entry> {
    let candidates = || ENTRIES.iter().filter(move |e| e.namespace == namespace);
    candidates()
        .find(|e| e.code == code)
        .or_else(|| candidates().find(|e| e.code.contains('*') && pattern_matches(e.code, code)))
}

fn pattern_matches(pattern: &str, code: &str) -> bool {
    pattern.len() == code.len()
        && pattern
            .bytes()
            .zip(code.bytes())
            .all(|(p, c)| p == b'*' || p == c)
}

/// Explains a `response_code` (or a module code `E0xxxx`) in `context`.
pub fn explain(code: &str, context: ErrorContext) -> Explanation {
    explain_with_detail(code, None, context)
}

/// Explains a `response_code` together with its `response_detail`: a known card vendor
/// code in the detail (e.g. `1G83`) is more specific than the response code and wins.
pub fn explain_with_detail(code: &str, detail: Option<&str>, context: ErrorContext) -> Explanation {
    let namespace = if code.starts_with("E0") && code.len() == 6 {
        Namespace::Module
    } else {
        Namespace::ResponseCode
    };
    let detail_entry = detail
        .filter(|d| !d.is_empty() && matches!(code, "2001" | "2002" | "2003" | "2008"))
        .and_then(|d| lookup(d, Namespace::CardDetail).map(|e| (d, e)));
    let (shown, entry, note_code) = match (detail_entry, lookup(code, namespace)) {
        (Some((d, e)), _) => (format!("{code}/{d}"), Some(e), d),
        (None, e) => (code.to_owned(), e, code),
    };
    let Some(entry) = entry else {
        return unknown(code, detail);
    };
    let mut explanation = Explanation {
        code: shown,
        category: entry.category,
        known: true,
        ja: entry.ja.to_owned(),
        en: entry.en.to_owned(),
        action_ja: entry.action_ja.to_owned(),
        action_en: entry.action_en.to_owned(),
    };
    let note = CONTEXT_NOTES
        .iter()
        .find(|n| n.context == context && (n.code == note_code || n.code == code));
    if let Some(note) = note {
        explanation.ja = format!("{} {}", explanation.ja, note.ja);
        explanation.en = format!("{} {}", explanation.en, note.en);
        explanation.action_ja = note.action_ja.to_owned();
        explanation.action_en = note.action_en.to_owned();
    }
    explanation
}

fn unknown(code: &str, detail: Option<&str>) -> Explanation {
    let shown = match detail.filter(|d| !d.is_empty() && d.len() <= 6) {
        Some(d) => format!("{code}/{d}"),
        None => code.to_owned(),
    };
    let shown: String = shown.chars().take(16).collect();
    Explanation {
        ja: format!(
            "ペイジェントがエラーコード {shown} を返しました。PayDesk の辞書にないコードです。"
        ),
        en: format!(
            "Paygent returned error code {shown}, which PayDesk's dictionary does not know."
        ),
        action_ja: format!(
            "ペイジェントの管理画面で決済の状態を確認し、解決しない場合はコード {shown} を添えてペイジェントに問い合わせてください。"
        ),
        action_en: format!(
            "Check the payment in Paygent's merchant admin site; if that does not settle it, contact Paygent and quote code {shown}."
        ),
        code: shown,
        category: Category::Unknown,
        known: false,
    }
}

const RETRY_LATER_JA: &str = "しばらく待ってからもう一度お試しください。";
const RETRY_LATER_EN: &str = "Wait a little and try again.";
const CHECK_SETTINGS_JA: &str = "設定画面でマーチャントID・接続ID・接続パスワード・クライアント証明書を確認し、接続テストを行ってください。";
const CHECK_SETTINGS_EN: &str = "Check the merchant ID, connect ID, connect password and client certificate in Settings, then run the connection test.";
const REPORT_BUG_JA: &str = "PayDesk が送った値が受け付けられませんでした。入力内容を確認し、解決しない場合はこのコードを添えて PayDesk のサポートに連絡してください。";
const REPORT_BUG_EN: &str = "Paygent refused a value PayDesk sent. Check what you entered; if it persists, report this code to PayDesk support.";
const CONTRACT_JA: &str = "ペイジェントとの契約内容を確認してください。必要ならペイジェントにオプションの申し込みを依頼してください。";
const CONTRACT_EN: &str =
    "Check your contract with Paygent and ask Paygent to enable the option if you need it.";
const STATE_JA: &str = "決済の状態を再読み込みしてください。ペイジェントの管理画面など PayDesk の外で操作された可能性があります。";
const STATE_EN: &str = "Reload the payment's status; it may have been changed outside PayDesk (for example in Paygent's admin site).";
const OTHER_CARD_JA: &str =
    "購入者に別のカードを使うか、カード会社に問い合わせるよう依頼してください。";
const OTHER_CARD_EN: &str = "Ask the buyer to use another card or to contact their card issuer.";
const REENTER_JA: &str = "購入者にカード情報（番号・有効期限・セキュリティコード）を確認して入力し直してもらってください。";
const REENTER_EN: &str =
    "Ask the buyer to check and re-enter the card details (number, expiry date, security code).";
const CONTACT_JA: &str = "ペイジェントに問い合わせてください。";
const CONTACT_EN: &str = "Contact Paygent.";
const DEADLINE_JA: &str =
    "期限を過ぎた操作はできません。必要なら購入者と別の方法で精算してください。";
const DEADLINE_EN: &str = "The deadline has passed and this cannot be done any more; settle with the buyer another way if needed.";

macro_rules! entries {
    ($($ns:ident $code:literal $cat:ident $ja:literal $en:literal, $aja:expr, $aen:expr;)*) => {
        /// The dictionary table.
        pub static ENTRIES: &[Entry] = &[$(Entry {
            code: $code,
            namespace: Namespace::$ns,
            category: Category::$cat,
            ja: $ja,
            en: $en,
            action_ja: $aja,
            action_en: $aen,
        },)*];
    };
}

entries! {
    // §8.1 parameter / authentication errors.
    ResponseCode "P001" Credentials "認証用のパラメータ（マーチャントID・接続ID・接続パスワード）が送られていません。" "The authentication parameters (merchant ID, connect ID, connect password) are missing.", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    ResponseCode "P002" Credentials "接続IDまたは接続パスワードが正しくありません。" "The connect ID or connect password is wrong.", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    ResponseCode "P003" InvalidRequest "電文バージョン（telegram_version）が正しくありません。" "The telegram version is wrong.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P004" InvalidRequest "この決済方法は指定されたURLでは使えません（送信先の誤り）。" "This payment method cannot be used at the URL the request was sent to.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P005" InvalidRequest "必要なパラメータが送られていません。" "A required parameter is missing.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P006" InvalidRequest "必須の値が空です。" "A required value is empty.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P007" NotContracted "この決済方法は契約されていません。" "This payment method is not in your contract.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "P008" InvalidRequest "値の型（数字・英数字など）が正しくありません。" "A value has the wrong type (digits, letters).", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P009" InvalidRequest "値の長さが制限を超えています。" "A value is too long.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P010" InvalidRequest "入力値エラー：送った値のどれかが受け付けられませんでした（有効期限切れのカードなど）。" "Invalid value: one of the values sent was refused (for example an expired card).", REENTER_JA, REENTER_EN;
    ResponseCode "P011" InvalidRequest "利用上限を超えています。" "A usage limit was exceeded.", CONTACT_JA, CONTACT_EN;
    ResponseCode "P012" InvalidRequest "支払期限の指定が正しくありません。" "The payment deadline given is invalid.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P013" InvalidRequest "期間の開始日が終了日より後になっています。" "The start of a period is after its end.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "P014" InvalidRequest "金額は1円以上にしてください。" "The amount must be more than 0 yen.", "金額を確認してください。", "Check the amount.";
    ResponseCode "P015" Credentials "このパソコンの送信元IPアドレスがペイジェントに登録されていません。" "This computer's source IP address is not registered with Paygent.", "ペイジェントに現在の送信元IPアドレスの登録を依頼してください。固定IPでない回線では接続できないことがあります。", "Ask Paygent to register your current source IP address; connections without a fixed IP may not work.";
    ResponseCode "P016" Credentials "クライアント証明書が無効です（期限切れ・別環境用など）。" "The client certificate is invalid (expired, or for the other environment).", "設定画面で本番用・試験用の正しいクライアント証明書を選び直してください。期限切れならペイジェントに再発行を依頼してください。", "Select the correct client certificate (production or sandbox) in Settings; ask Paygent for a new one if it has expired.";
    ResponseCode "P017" GatewayDown "ペイジェントがメンテナンス中です。" "Paygent is under maintenance.", RETRY_LATER_JA, RETRY_LATER_EN;
    ResponseCode "P018" GatewayDown "現在この処理は受け付けられていません。" "This operation is not available right now.", RETRY_LATER_JA, RETRY_LATER_EN;
    ResponseCode "P021" NotContracted "カード情報お預り機能が契約されていません。" "Card storage is not in your contract.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "P022" NotFound "削除しようとしたカード情報が見つかりません。" "The stored card to delete was not found.", "カード一覧を再読み込みしてください。", "Reload the card list.";
    ResponseCode "P023" StateConflict "登録できるカードは1人10枚までです。" "A customer can store at most 10 cards.", "使っていないカードを削除してから登録してください。", "Delete an unused card first.";
    ResponseCode "P024" NotContracted "カード情報お預り機能が契約されていないため、登録済みカードで決済できません。" "Stored-card payments are not in your contract.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "P025" NotFound "決済に指定した登録済みカードが見つかりません（削除済みなど）。" "The stored card used for the payment was not found (deleted?).", "購入者にカードを登録し直してもらってください。", "Ask the buyer to register the card again.";
    ResponseCode "P026" NotFound "カード情報が登録されていません。" "No stored card was found.", "購入者にカードを登録してもらってください。", "Ask the buyer to register a card.";
    ResponseCode "P027" NotContracted "有効性チェックが契約されていません。" "The card validity check is not in your contract.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "P028" NotContracted "継続売上が契約されていません。" "Continuous sales are not in your contract.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "P029" NotContracted "減額（金額変更・一部返金）が契約されていません。" "Amount reduction (amount change, partial refund) is not in your contract.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "P030" NotContracted "この支払区分・分割回数は使えません。" "This payment class or number of installments is not allowed.", "一括払いで決済するか、契約内容を確認してください。", "Use lump-sum payment or check your contract.";
    ResponseCode "P063" NotContracted "3Dセキュア2.0が契約されていません。" "EMV 3-D Secure is not in your contract.", CONTRACT_JA, CONTRACT_EN;
    // §8.1 system errors.
    ResponseCode "E001" GatewayDown "ペイジェントでシステムエラーが起きました。" "A system error occurred at Paygent.", "決済の状態を照会してから、必要ならもう一度お試しください。", "Inquire the payment's status, then try again if needed.";
    ResponseCode "E002" Retryable "カード会社側の接続数の上限に達しました。" "The card network's access limit was reached.", RETRY_LATER_JA, RETRY_LATER_EN;
    ResponseCode "9004" Retryable "差分照会が同時に実行されています。" "Another difference inquiry is running at the same time.", RETRY_LATER_JA, RETRY_LATER_EN;
    ResponseCode "9005" Retryable "ペイジェントのデータベースが混み合っています（ロック中）。" "Paygent's database is busy (locked).", RETRY_LATER_JA, RETRY_LATER_EN;
    // §8.1 card errors.
    ResponseCode "2001" CardProblem "カード会社が決済を承認しませんでした。" "The card issuer declined the payment.", OTHER_CARD_JA, OTHER_CARD_EN;
    ResponseCode "2002" GatewayDown "カード会社側でシステムエラーが起きました。" "A system error occurred at the card network.", RETRY_LATER_JA, RETRY_LATER_EN;
    ResponseCode "2003" CardProblem "カード情報の入力に誤りがあります（3回まで再入力できます）。" "The card details are wrong (they can be re-entered up to 3 times).", REENTER_JA, REENTER_EN;
    ResponseCode "2004" StateConflict "今の決済状態ではこの操作はできません。" "The payment's current status does not allow this operation.", STATE_JA, STATE_EN;
    ResponseCode "2005" InvalidRequest "同じ取引IDの決済が複数あります。" "Several payments share this transaction ID.", "決済IDで指定して操作してください。", "Refer to the payment by its payment ID.";
    ResponseCode "2006" NotFound "指定した決済が見つかりません。" "The payment was not found.", STATE_JA, STATE_EN;
    ResponseCode "2007" DeadlinePassed "期限切れです（オーソリの有効期限または取消期限を過ぎています）。" "Expired: the authorization or the cancel window has passed.", DEADLINE_JA, DEADLINE_EN;
    ResponseCode "2008" Retryable "カード会社との通信がタイムアウトしました。" "The card network timed out.", "決済の状態を照会してから、もう一度お試しください。", "Inquire the payment's status, then try again.";
    ResponseCode "2009" InvalidRequest "参照した取引IDのカード情報は使えません。" "The card of the referenced transaction cannot be reused.", "新しいカード情報で決済してください。", "Pay with new card details.";
    ResponseCode "2010" StateConflict "金額変更で新しいオーソリはできましたが、元のオーソリの取消に失敗しました。" "The amount change created the new authorization but could not cancel the original one.", "決済の状態を照会し、元の決済が残っていれば取り消してください。", "Inquire the payments and cancel the original one if it is still there.";
    ResponseCode "2011" StateConflict "金額変更（売上）の売上処理に失敗しました。" "The revised capture's sales step failed.", "決済の状態を照会し、新しい決済を確認してください。", "Inquire the payments and check the new one.";
    ResponseCode "2012" StateConflict "金額変更で新しい決済はできましたが、元の売上の取消に失敗しました。" "The amount change created the new payment but could not cancel the original sale.", "決済の状態を照会し、元の売上が残っていれば取り消してください。", "Inquire the payments and refund the original sale if it is still there.";
    ResponseCode "2013" InvalidRequest "金額変更後の金額は1円以上、元の金額以下にしてください（増額はできません）。" "The changed amount must be more than 0 and not more than the original (increases are not possible).", "増額する場合は、取り消して新しく決済してください。", "To increase the amount, cancel and take a new payment.";
    ResponseCode "2014" StateConflict "3Dセキュア認証済みの決済は金額変更できません。" "A 3-D Secure authenticated payment's amount cannot be changed.", "取り消して新しく決済してください。", "Cancel it and take a new payment.";
    ResponseCode "2015" NotContracted "契約設定により3Dセキュアのアテンプト認証は受け付けられません。" "3-D Secure attempt authentication is refused by your contract settings.", CONTRACT_JA, CONTRACT_EN;
    ResponseCode "2016" CardProblem "このカードは使えません（カード会社との契約がない、または番号の誤り）。" "This card cannot be used (no acquirer contract for it, or a wrong number).", OTHER_CARD_JA, OTHER_CARD_EN;
    ResponseCode "2017" CardProblem "このカードでは継続売上ができません。" "This card does not allow continuous sales.", OTHER_CARD_JA, OTHER_CARD_EN;
    ResponseCode "2018" CardProblem "現在ボーナス払いは使えません。" "Bonus payment is not available now.", "一括払いで決済してください。", "Use lump-sum payment.";
    ResponseCode "2020" InvalidRequest "カードのトークンの有効期限が切れています。" "The card token has expired.", "購入者にもう一度カード情報を入力してもらってください。", "Ask the buyer to enter the card details again.";
    ResponseCode "2021" InvalidRequest "カードのトークンが見つかりません。" "The card token was not found.", "購入者にもう一度カード情報を入力してもらってください。", "Ask the buyer to enter the card details again.";
    ResponseCode "2022" InvalidRequest "カードのトークンは使用済みです（1回だけ使えます）。" "The card token was already used (tokens are single-use).", "購入者にもう一度カード情報を入力してもらってください。", "Ask the buyer to enter the card details again.";
    ResponseCode "2023" NotContracted "カード番号を直接送ることは認められていません。" "Sending raw card numbers is not allowed.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "2024" InvalidRequest "トークンと他のカード指定が同時に送られました。" "A token was sent together with other card parameters.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "2025" InvalidRequest "セキュリティコードのトークンと他のパラメータの組み合わせが正しくありません。" "The CVC token was combined with parameters it cannot be combined with.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "2026" InvalidRequest "トークンの種類が一致しません。" "The token kind does not match.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "2054" CardProblem "不正取引の疑いでブロックされました。" "The transaction was blocked as possibly fraudulent.", "購入者に確認し、正当な取引ならペイジェントに問い合わせてください。", "Check with the buyer; if it is genuine, contact Paygent.";
    // §8.1 inquiry and Paidy.
    ResponseCode "13001" NotFound "照会した決済が見つかりません。" "The payment inquired about was not found.", "決済IDを確認してください。", "Check the payment ID.";
    ResponseCode "13002" InvalidRequest "同じ取引IDの決済が複数あります。" "Several payments share this transaction ID.", "決済IDで照会してください。", "Inquire by payment ID.";
    ResponseCode "24001" NotFound "Paidyの決済が見つかりません。" "The Paidy payment was not found.", STATE_JA, STATE_EN;
    ResponseCode "24002" InvalidRequest "同じ取引IDのPaidy決済が複数あります。" "Several Paidy payments share this transaction ID.", "決済IDで指定して操作してください。", "Refer to the payment by its payment ID.";
    ResponseCode "24003" StateConflict "今のPaidy決済の状態ではこの操作はできません。" "The Paidy payment's current status does not allow this operation.", STATE_JA, STATE_EN;
    ResponseCode "24004" GatewayDown "Paidy側でシステムエラーまたは通信エラーが起きました。" "A system or communication error occurred at Paidy.", RETRY_LATER_JA, RETRY_LATER_EN;
    ResponseCode "24005" Retryable "Paidyとの通信がタイムアウトしました。処理中の状態になり、ペイジェントが結果を確認します。" "Paidy timed out; the payment is parked while Paygent checks the result.", "しばらくしてから決済の状態を照会してください。", "Inquire the payment's status a little later.";
    ResponseCode "24006" DeadlinePassed "Paidyの決済が期限切れです。" "The Paidy payment has expired.", DEADLINE_JA, DEADLINE_EN;
    ResponseCode "24007" InvalidRequest "返金額が決済金額（返金可能額）を超えています。" "The refund amount is more than the refundable amount.", "返金可能額を確認して金額を直してください。", "Check the refundable amount and correct the refund.";
    // §4.6 / §8.1 EMV 3-D Secure.
    ResponseCode "31001" CardProblem "カード情報に誤りがあるか、このカードは使えません（番号の誤り・カード会社と未契約）。" "The card data is wrong or the card cannot be used (bad number, or no acquirer contract).", REENTER_JA, REENTER_EN;
    ResponseCode "31002" InvalidRequest "カードの指定方法とパラメータが一致しません。" "The card-set method does not match the parameters.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "31003" InvalidRequest "カードのトークンの有効期限が切れています。" "The card token has expired.", "購入者にもう一度カード情報を入力してもらってください。", "Ask the buyer to enter the card details again.";
    ResponseCode "31004" InvalidRequest "カードのトークンが見つかりません。" "The card token was not found.", "購入者にもう一度カード情報を入力してもらってください。", "Ask the buyer to enter the card details again.";
    ResponseCode "31005" InvalidRequest "カードのトークンは使用済みです。" "The card token was already used.", "購入者にもう一度カード情報を入力してもらってください。", "Ask the buyer to enter the card details again.";
    ResponseCode "31006" NotFound "登録済みカードが見つかりません。" "The stored card was not found.", "購入者にカードを登録し直してもらってください。", "Ask the buyer to register the card again.";
    ResponseCode "31007" CardProblem "3Dセキュア認証に失敗しました。" "3-D Secure authentication failed.", OTHER_CARD_JA, OTHER_CARD_EN;
    ResponseCode "31008" InvalidRequest "3Dセキュア利用区分が2ではありません。" "3dsecure_use_type is not 2.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "31009" InvalidRequest "3Dセキュア認証IDがありません。" "The 3-D Secure authentication ID is missing.", REPORT_BUG_JA, REPORT_BUG_EN;
    ResponseCode "31010" StateConflict "3Dセキュア認証IDは別の取引で使用済みです。" "The 3-D Secure authentication ID was used by another transaction.", "購入者にもう一度認証してもらってください。", "Ask the buyer to authenticate again.";
    ResponseCode "31011" NotFound "3Dセキュア認証IDが見つかりません。" "The 3-D Secure authentication ID was not found.", "購入者にもう一度認証してもらってください。", "Ask the buyer to authenticate again.";
    ResponseCode "31012" NotContracted "カード会社がこのブランドの3Dセキュアに対応していません。" "The acquirer does not support 3-D Secure for this brand.", "チャージバックのリスクを承知で続けるか、別のカードを使ってもらってください。", "Continue at your own chargeback risk, or ask for another card.";
    ResponseCode "31013" DeadlinePassed "3Dセキュア認証が30分以内に完了しませんでした。" "3-D Secure authentication was not finished within 30 minutes.", "購入者にもう一度最初から決済してもらってください。", "Ask the buyer to start the payment again.";
    // Seed code: 1502 arrives as a response code in the cart's logs.
    ResponseCode "1502" CardProblem "カード会社のデータと一致しませんでした（複数該当）。初回購入ではカードの有効期限切れで表示されることがあります。" "The card network found conflicting matching data; on a first purchase it has been shown for expired cards.", REENTER_JA, REENTER_EN;
    // §8.2 card vendor codes in response_detail: common.
    CardDetail "1203" GatewayDown "カード会社側の処理エラー（インターフェース）です。" "Card network interface error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1101" InvalidRequest "カード会社への電文に必要な項目がありません。" "A required item is missing in the card network message.", CONTACT_JA, CONTACT_EN;
    CardDetail "1102" InvalidRequest "カード会社への電文に不要な項目があります。" "An unexpected item is in the card network message.", CONTACT_JA, CONTACT_EN;
    CardDetail "1201" InvalidRequest "カード会社への電文の項目内容に誤りがあります。" "An item's content is wrong in the card network message.", REENTER_JA, REENTER_EN;
    CardDetail "1202" InvalidRequest "カード会社への電文の項目属性に誤りがあります。" "An item's attribute is wrong in the card network message.", REENTER_JA, REENTER_EN;
    CardDetail "130*" Credentials "カード会社との認証エラー（加盟店認証・証明書期限切れなど）です。" "Authentication with the card network failed (merchant authentication, expired certificate, …).", CONTACT_JA, CONTACT_EN;
    CardDetail "1501" NotFound "カード会社に該当するデータがありません。" "The card network has no matching data.", STATE_JA, STATE_EN;
    CardDetail "1502" CardProblem "カード会社のデータが複数該当しました。" "The card network found several matching records.", REENTER_JA, REENTER_EN;
    CardDetail "1521" StateConflict "カード会社側の状態と一致しません。" "The card network's status does not match.", STATE_JA, STATE_EN;
    CardDetail "2001" GatewayDown "カード会社側のコンポーネントエラーです。" "Card network component error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "2100" GatewayDown "カード会社側のコンポーネントエラーです。" "Card network component error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "2200" GatewayDown "カード会社側のコンポーネントエラーです。" "Card network component error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "2300" GatewayDown "カード会社側のコンポーネントエラーです。" "Card network component error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "2999" GatewayDown "カード会社側の処理が異常終了しました。" "The card network's processing ended abnormally.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "9***" InvalidRequest "カード会社の運用ルールに反する取引です。" "The transaction breaks a card network operating rule.", CONTACT_JA, CONTACT_EN;
    CardDetail "1S01" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1210" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1317" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1002" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1104" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1K**" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1NET" GatewayDown "カード会社側の通信エラーです。" "Card network communication error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1E54" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1E79" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1E90" GatewayDown "カード会社側のシステムエラーです。" "Card network system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1X07" GatewayDown "CARDNETの取引エラーです。" "CARDNET transaction error.", RETRY_LATER_JA, RETRY_LATER_EN;
    // §8.2 authorization: CAFIS and issuer codes.
    CardDetail "1C**" GatewayDown "カード決済ネットワーク（CAFIS）のエラーです。" "Card payment network (CAFIS) error.", RETRY_LATER_JA, RETRY_LATER_EN;
    CardDetail "1G02" CardProblem "カードの残高・利用可能枠が足りません。" "The card's balance or credit limit is not enough.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G03" CardProblem "カードの利用可能枠を超えています。" "The card's credit limit is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G04" CardProblem "カードの利用可能枠を超えています。" "The card's credit limit is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G05" CardProblem "カードの利用可能枠を超えています。" "The card's credit limit is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G06" CardProblem "カードの利用可能枠を超えています。" "The card's credit limit is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G07" CardProblem "カードの利用可能枠を超えています。" "The card's credit limit is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G12" CardProblem "このカードは使えません。" "This card cannot be used.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G22" CardProblem "このカードは永久に利用できない状態です。" "This card is permanently barred.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G30" CardProblem "カード会社の判断待ち（保留）になりました。" "The issuer needs a manual decision (pending).", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G42" CardProblem "暗証番号が正しくありません。" "Wrong PIN.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G44" CardProblem "セキュリティコードが正しくありません。" "The security code (CVC) is wrong.", REENTER_JA, REENTER_EN;
    CardDetail "1G45" CardProblem "セキュリティコードが入力されていません。" "The security code (CVC) is missing.", REENTER_JA, REENTER_EN;
    CardDetail "1G54" CardProblem "1日の利用回数の上限を超えています。" "The card's daily usage count is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G55" CardProblem "1日の利用金額の上限を超えています。" "The card's daily amount limit is exceeded.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G56" CardProblem "このカードは取扱いできません（カード回収の指示）。" "The card must not be accepted (pick-up card).", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G60" CardProblem "紛失・盗難の届けが出ているカードです。" "The card is reported lost or stolen.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G61" CardProblem "無効なカードです。" "The card is invalid.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1G65" CardProblem "カード番号が正しくありません。" "The card number is wrong.", REENTER_JA, REENTER_EN;
    CardDetail "1G74" CardProblem "分割回数が正しくありません。" "The number of installments is wrong.", "支払回数を確認してください。", "Check the number of installments.";
    CardDetail "1G78" CardProblem "このカードではこの支払方法（支払区分）は使えません。" "This payment class is not available for this card.", "一括払いで決済してください。", "Use lump-sum payment.";
    CardDetail "1G83" CardProblem "カードの有効期限が正しくないか、切れています。" "The card's expiry date is wrong or has passed.", "購入者に有効期限を確認してもらい、期限切れなら新しいカードを登録してもらってください。", "Ask the buyer to check the expiry date and register a new card if it has expired.";
    CardDetail "1G**" CardProblem "カード会社が決済を承認しませんでした。" "The card issuer declined the payment.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1P65" CardProblem "カード番号が正しくありません。" "The card number is wrong.", REENTER_JA, REENTER_EN;
    CardDetail "1P74" CardProblem "分割回数が正しくありません。" "The number of installments is wrong.", "支払回数を確認してください。", "Check the number of installments.";
    CardDetail "1P78" CardProblem "このカードではこの支払方法（支払区分）は使えません。" "This payment class is not available for this card.", "一括払いで決済してください。", "Use lump-sum payment.";
    CardDetail "1P83" CardProblem "カードの有効期限が正しくないか、切れています。" "The card's expiry date is wrong or has passed.", "購入者に有効期限を確認してもらい、期限切れなら新しいカードを登録してもらってください。", "Ask the buyer to check the expiry date and register a new card if it has expired.";
    CardDetail "1P**" CardProblem "カード会社（CARDNET経由）が決済を承認しませんでした。" "The card issuer (via CARDNET) declined the payment.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "P901" StateConflict "再オーソリの対象データがありません。" "There is no payment to re-authorize.", STATE_JA, STATE_EN;
    CardDetail "P902" StateConflict "再オーソリできない決済状態です。" "The payment's status does not allow re-authorization.", STATE_JA, STATE_EN;
    CardDetail "P903" CardProblem "カード情報の再入力の回数上限を超えました。" "The card details were re-entered too many times.", "新しく決済をやり直すか、別のカードを使ってもらってください。", "Start a new payment or use another card.";
    CardDetail "1531" StateConflict "オーソリ取消：カード会社側の状態と一致しません。" "Authorization cancel: the card network's status does not match.", STATE_JA, STATE_EN;
    CardDetail "1532" DeadlinePassed "オーソリ取消の期限を過ぎています。" "The authorization-cancel deadline has passed.", DEADLINE_JA, DEADLINE_EN;
    CardDetail "1541" StateConflict "売上取消：カード会社側の状態と一致しません。" "Capture cancel: the card network's status does not match.", STATE_JA, STATE_EN;
    CardDetail "1542" DeadlinePassed "売上取消の期限を過ぎています。" "The capture-cancel deadline has passed.", DEADLINE_JA, DEADLINE_EN;
    CardDetail "1511" CardProblem "3Dセキュア1.0の認証エラーです。" "3-D Secure 1.0 authentication error.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1512" CardProblem "3Dセキュア1.0の認証エラーです。" "3-D Secure 1.0 authentication error.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1513" CardProblem "3Dセキュア1.0の認証エラーです。" "3-D Secure 1.0 authentication error.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1514" CardProblem "3Dセキュア1.0の認証エラーです。" "3-D Secure 1.0 authentication error.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "1515" CardProblem "3Dセキュア1.0の認証エラーです。" "3-D Secure 1.0 authentication error.", OTHER_CARD_JA, OTHER_CARD_EN;
    CardDetail "5000" GatewayDown "3Dセキュア1.0のシステムエラーです。" "3-D Secure 1.0 system error.", RETRY_LATER_JA, RETRY_LATER_EN;
    // §3.3 module codes (PayDesk's client errors map onto these).
    Module "E01001" InvalidRequest "設定ファイルがありません。" "The settings file is missing.", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    Module "E01002" InvalidRequest "設定に必要な値がないか、正しくありません。" "A required setting is missing or invalid.", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    Module "E01003" GatewayDown "応答や応答コードを受け取れませんでした。" "No response or response code could be obtained.", "決済の状態を照会してから、もう一度お試しください。", "Inquire the payment's status, then try again.";
    Module "E01004" InvalidRequest "CSVの出力に失敗しました。" "CSV output failed.", REPORT_BUG_JA, REPORT_BUG_EN;
    Module "E01005" InvalidRequest "取引ファイルを読めませんでした。" "The transaction file could not be read.", REPORT_BUG_JA, REPORT_BUG_EN;
    Module "E01006" InvalidRequest "文字コードの設定に誤りがあります。" "The character encoding setting is wrong.", REPORT_BUG_JA, REPORT_BUG_EN;
    Module "E01901" InvalidRequest "予期しないエラー（証明書ファイルが開けない、応答の形式が正しくないなど）です。" "Unexpected error (a certificate file cannot be opened, a malformed response, …).", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    Module "E02001" InvalidRequest "タイムアウトなどの設定値が正しくありません。" "A client setting (timeout, …) is invalid.", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    Module "E02002" InvalidRequest "送信データが大きすぎます。" "The request is too large.", "入力内容（備考など）を短くしてください。", "Shorten what you entered (notes, names).";
    Module "E02003" InvalidRequest "パラメータの値が想定外です（送信先が決まらないなど）。" "Unexpected parameter value (no URL for the telegram kind, …).", REPORT_BUG_JA, REPORT_BUG_EN;
    Module "E02004" Credentials "証明書のエラーです（クライアント証明書・パスフレーズ・CA証明書）。" "Certificate error (client certificate, passphrase or CA file).", CHECK_SETTINGS_JA, CHECK_SETTINGS_EN;
    Module "E02005" GatewayDown "ペイジェントに接続できませんでした（プロキシ・通信エラー・異常な応答）。" "Could not connect to Paygent (proxy, network error, or an abnormal answer).", "インターネット接続とプロキシ設定を確認し、決済の状態を照会してから、もう一度お試しください。", "Check the internet connection and proxy settings, inquire the payment's status, then try again.";
    Module "E02006" Retryable "ペイジェントからの応答がタイムアウトしました。処理されたかどうかは不明です。" "Paygent did not answer in time; whether the operation happened is unknown.", "決済の状態を照会して結果を確かめてから、必要ならもう一度操作してください。", "Inquire the payment's status to learn the outcome before trying again.";
    Module "E02007" InvalidRequest "結果CSVファイル名に誤りがあります。" "The result CSV file name is wrong.", REPORT_BUG_JA, REPORT_BUG_EN;
}

/// Context-specific likely causes and actions.
pub static CONTEXT_NOTES: &[ContextNote] = &[
    ContextNote {
        code: "P010",
        context: ErrorContext::Renewal,
        ja: "定期購入の継続決済では、登録済みカードの有効期限切れが最も多い原因です。",
        en: "On a subscription renewal the most likely cause is that the stored card has expired.",
        action_ja: "購入者にカード情報の更新を依頼するか、この受注を取り消す・別の支払方法に切り替える・定期購入を終了するかを選んでください。",
        action_en: "Ask the buyer to update the card, or cancel this order, switch it to another payment method, or end the subscription.",
    },
    ContextNote {
        code: "1G83",
        context: ErrorContext::Renewal,
        ja: "定期購入の登録済みカードの有効期限が切れている可能性が高いです。",
        en: "The subscription's stored card has most likely expired.",
        action_ja: "購入者にカード情報の更新を依頼してください。",
        action_en: "Ask the buyer to update the card.",
    },
    ContextNote {
        code: "1502",
        context: ErrorContext::FirstPurchase,
        ja: "初回購入では、カードの有効期限切れが原因のことがあります。",
        en: "On a first purchase this often means the card has expired.",
        action_ja: "購入者に有効期限を確認してもらい、別のカードで注文し直してもらってください。",
        action_en: "Ask the buyer to check the expiry date and order again with another card.",
    },
    ContextNote {
        code: "31001",
        context: ErrorContext::FirstPurchase,
        ja: "購入者が入力したカード情報が正しくない可能性が高いです。",
        en: "The card details the buyer entered are most likely wrong.",
        action_ja: REENTER_JA,
        action_en: REENTER_EN,
    },
    ContextNote {
        code: "P002",
        context: ErrorContext::ConnectionTest,
        ja: "入力した接続IDか接続パスワードが、本番用・試験用のどちらかと食い違っています。",
        en: "The connect ID or password entered does not match the environment (production or sandbox) selected.",
        action_ja: "ペイジェントから届いた接続情報を見ながら、接続IDとパスワードを入力し直してください。",
        action_en: "Re-enter the connect ID and password from the details Paygent sent you.",
    },
    ContextNote {
        code: "P016",
        context: ErrorContext::ConnectionTest,
        ja: "選んだクライアント証明書が、この環境（本番・試験）用ではないか期限切れです。",
        en: "The selected client certificate is for the other environment or has expired.",
        action_ja: "環境に合った証明書ファイルとパスフレーズを選び直してください。",
        action_en: "Select the certificate file and passphrase for this environment.",
    },
    ContextNote {
        code: "2007",
        context: ErrorContext::Capture,
        ja: "オーソリの有効期限（60日）を過ぎたため売上確定できません。この売上は不成立です。",
        en: "The authorization expired (60 days), so it can no longer be captured: the sale has lapsed.",
        action_ja: "必要なら購入者に新しく決済してもらってください。",
        action_en: "If needed, ask the buyer to pay again.",
    },
    ContextNote {
        code: "2007",
        context: ErrorContext::Refund,
        ja: "売上取消の期限を過ぎたため、ペイジェント経由では返金できません。",
        en: "The refund window has passed, so the refund cannot go through Paygent.",
        action_ja: "銀行振込など別の方法で購入者に返金してください。",
        action_en: "Refund the buyer another way, for example by bank transfer.",
    },
    ContextNote {
        code: "24006",
        context: ErrorContext::Capture,
        ja: "Paidyの売上確定期限（90日）を過ぎました。この売上は不成立です。",
        en: "The Paidy capture deadline (90 days) has passed: the sale has lapsed.",
        action_ja: "必要なら購入者に新しく注文してもらってください。",
        action_en: "If needed, ask the buyer to order again.",
    },
    ContextNote {
        code: "24006",
        context: ErrorContext::Refund,
        ja: "Paidyの返金期限（売上確定から90日）を過ぎました。",
        en: "The Paidy refund window (90 days after capture) has passed.",
        action_ja: "別の方法で購入者に返金してください。",
        action_en: "Refund the buyer another way.",
    },
    ContextNote {
        code: "2004",
        context: ErrorContext::Refund,
        ja: "返金は売上確定後の決済にだけできます。未確定なら取消を使ってください。",
        en: "Refunds are only possible after capture; use cancel for an authorized payment.",
        action_ja: STATE_JA,
        action_en: STATE_EN,
    },
];
