//! Every error PayDesk makes itself, once, with its words: the table behind
//! [`AppError`](crate::AppError). Each entry is a code, what it means (its doc comment),
//! the message in Japanese and English and, where there is one, the next step (the
//! `action`) in both. Call sites name the code and give the values
//! (`AppError::of(ErrorCode::OrderNotFound).with("id", id)`); the words are here and
//! nowhere else.
//!
//! The UI, the command line's output and the tests match on the codes' strings, so a code
//! is written here once (a typo in a variant does not compile); [`ErrorCode::as_str`] is
//! the string on the wire, unchanged. A few entries are a second wording of another
//! code (`Alias = Primary { … }`): the same wire string, so the UI and the tests see one
//! code, with the words of that situation.
//!
//! Texts name their values in braces, `{id}`, filled at the call site (a value may differ
//! per language). The placeholders of the Japanese and the English texts are the same,
//! except `{detail}`, which may be in the English only: the operating system's or a
//! library's own English words, for support. `internal` entries share one text: "PayDesk
//! hit an internal problem: {detail}" with "try again; contact support".
//!
//! Codes from another crate's own table keep their strings and texts and do not appear
//! here: the gateway's error dictionary (`paygent_codec`), the mail crate's template and
//! SMTP errors, the keychain's, and domain's refusals (`AppError::foreign`).

/// One code's words: the message and the next step, each as (Japanese, English).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Texts {
    pub message: (&'static str, &'static str),
    pub next: Option<(&'static str, &'static str)>,
}

/// The words of every `internal` entry: a problem on PayDesk's side (database, file, bug).
const INTERNAL: Texts = Texts {
    message: (
        "PayDesk の内部でエラーが起きました（{detail}）。",
        "PayDesk hit an internal problem: {detail}.",
    ),
    next: Some((
        "もう一度お試しください。続く場合はサポートにご連絡ください。",
        "Try again; contact support if it persists.",
    )),
};

/// Declares the enum, its wire strings, its texts and the list of all codes from one table.
macro_rules! error_codes {
    (@wire $code:literal) => {
        $code
    };
    (@wire $primary:ident) => {
        ErrorCode::$primary.as_str()
    };
    (@shares $code:literal) => {
        None
    };
    (@shares $primary:ident) => {
        Some(ErrorCode::$primary)
    };
    (@texts { internal }) => {
        INTERNAL
    };
    (@texts { $ja:literal, $en:literal $(,)? }) => {
        Texts { message: ($ja, $en), next: None }
    };
    (@texts { $ja:literal, $en:literal, next: $next_ja:literal, $next_en:literal $(,)? }) => {
        Texts { message: ($ja, $en), next: Some(($next_ja, $next_en)) }
    };
    ($($(#[doc = $doc:literal])* $variant:ident = $code:tt $texts:tt,)*) => {
        /// An error PayDesk makes itself.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])* $variant,)*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The code as it crosses the IPC boundary and the command line's output.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => error_codes!(@wire $code),)*
                }
            }

            /// The code whose wire string this second wording shares, if it is one.
            pub fn shares(self) -> Option<ErrorCode> {
                match self {
                    $(ErrorCode::$variant => error_codes!(@shares $code),)*
                }
            }

            /// The message and next step, with their `{placeholders}`.
            pub fn texts(self) -> Texts {
                match self {
                    $(ErrorCode::$variant => error_codes!(@texts $texts),)*
                }
            }
        }
    };
}

error_codes! {
    /// An accounting account name has a character Yayoi's Shift_JIS file cannot hold.
    AccountingAccountNotShiftJis = "accounting_account_not_shift_jis" {
        "{field}に、弥生会計のファイル（Shift_JIS）で使えない文字があります。",
        "The {field} has a character Yayoi's file (Shift_JIS) cannot hold.",
    },
    /// An accounting account name is longer than the accounting software takes.
    AccountingAccountTooLong = "accounting_account_too_long" {
        "{field}が長すぎます。弥生会計は半角 {max} 文字（全角 {full_width} 文字）までです。",
        "The {field} is too long: Yayoi takes at most {max} half-width ({full_width} full-width) characters.",
    },
    /// An accounting account name typed in Settings is longer than PayDesk keeps.
    AccountingAccountTooLongToKeep = AccountingAccountTooLong {
        "{field}が長すぎます。",
        "The {field} is too long.",
    },
    /// The journal export needs account names that are not set yet (each one is named).
    AccountingAccountsMissing = "accounting_accounts_missing" {
        "{software} 用の仕訳を書き出すには、次の設定が必要です: {fields}。",
        "To export journal entries for {software}, set first: {fields}.",
        next: "設定画面の「会計ソフト連携」で、会計ソフトの勘定科目と同じ名前を入力してください。",
        "In Settings, under \"Accounting\", enter the names exactly as in your accounting software.",
    },
    /// Start at login could not be turned on or off (the OS refused).
    AutostartFailed = "autostart_failed" {
        "ログイン時の自動起動を設定できませんでした。",
        "Start at login could not be changed: {detail}",
    },
    /// A month outside 1–12 reached the monthly summary (a bug, not the shop's input).
    BadMonth = "bad_month" { internal },
    /// The carrier's tracking page could not be opened in the browser.
    BrowserNotOpened = "browser_not_opened" {
        "ブラウザを開けませんでした（{detail}）。ページ: {url}",
        "The browser could not be opened ({detail}). Page: {url}",
    },
    /// The command line's bulk capture ended with orders not captured.
    BulkNotAllCaptured = "bulk_not_all_captured" {
        "売上確定できなかった注文があります。各注文の結果を確認してください。",
        "Some orders were not captured. See each order's result.",
    },
    /// The command line's bulk capture ended with orders not captured, in the run's own
    /// summary.
    BulkNotAllCapturedSummary = BulkNotAllCaptured {
        "{summary}",
        "{summary}",
    },
    /// Another bulk capture is running; one at a time.
    BulkRunInProgress = "bulk_run_in_progress" {
        "別の売上確定一括処理を実行中です。終わってから実行してください。",
        "Another bulk capture is running. Start this one when it has finished.",
    },
    /// No bulk-capture run with this number in the operation log.
    BulkRunNotFound = "bulk_run_not_found" {
        "一括処理 {run} は操作ログにありません（古いログは{kept}件を超えると削除されます）。",
        "Run {run} is not in the operation log (it keeps the last {kept} runs).",
    },
    /// A bulk-capture run's state cannot move this way (a bug).
    BulkTransition = "bulk_transition" { internal },
    /// The buyer has no e-mail address, so no mail can go to them.
    BuyerEmailMissing = "buyer_email_missing" {
        "購入者のメールアドレスが登録されていません。",
        "The buyer has no e-mail address.",
    },
    /// The chosen CA certificate file is not PEM text.
    CaNotPem = "ca_not_pem" {
        "CA証明書は PEM 形式（-----BEGIN CERTIFICATE----- で始まるテキスト）のファイルを選んでください。",
        "Select a PEM CA certificate file (text starting with -----BEGIN CERTIFICATE-----).",
    },
    /// The gateway reported a stored card's expiry PayDesk cannot read.
    CardExpiryUnreadable = "card_expiry_unreadable" { internal },
    /// This failed-renewal choice is not available for this order now.
    ChoiceNotAvailable = "choice_not_available" {
        "選択できません。",
        "Not available.",
    },
    /// This failed-renewal choice is not available for this order now, and why.
    ChoiceNotAvailableBecause = ChoiceNotAvailable {
        "{reason}",
        "{reason}",
    },
    /// The command line's connection test failed without a code of its own (the test's
    /// result says why).
    ConnectionFailed = "connection_failed" {
        "{reason}",
        "{reason}",
    },
    /// The stored settlement contract cannot be read back (a bug or a damaged setting).
    ContractJson = "contract_json" { internal },
    /// The CSV export could not be written.
    CsvWrite = "csv_write" { internal },
    /// The data folder cannot be created or used.
    DataDirUnusable = "data_dir_unusable" { internal },
    /// The local database failed.
    DatabaseError = "database_error" { internal },
    /// The database was written by a newer PayDesk.
    DatabaseTooNew = "database_too_new" {
        "このデータは新しいバージョンの PayDesk で作られています。PayDesk を更新してください。",
        "{detail}",
    },
    /// The start date is after the end date.
    DateRangeReversed = "date_range_reversed" {
        "開始日（{from}）が終了日（{to}）より後です。日付を入れ替えてください。",
        "The start date ({from}) is after the end date ({to}). Swap the dates.",
    },
    /// The demo's embedded simulator or relay could not start.
    DemoFailed = "demo_failed" { internal },
    /// This build has no demo (a release build); nothing was touched.
    DemoUnavailable = "demo_unavailable" {
        "この PayDesk にはデモが入っていません。お店のデータには何も触れていません。",
        "This build of PayDesk has no demo. The shop's data was not touched.",
        next: "デモは開発用のビルド（cargo xtask demo）で試せます。お店として使うには --demo と PAYDESK_DEMO を付けずに起動してください。",
        "The demo runs in a development build (cargo xtask demo). To use PayDesk for the shop, start it without --demo and PAYDESK_DEMO.",
    },
    /// A deposit to correct or withdraw is imported from the bank's statement (the bank's
    /// record, never corrected in PayDesk).
    DepositImported = "deposit_imported" {
        "銀行の明細から取り込んだ入金は訂正できません。明細の記録どおりに残します。",
        "A deposit imported from the bank's statement cannot be corrected: it stays as the bank recorded it.",
    },
    /// A deposit just recorded is gone (a bug).
    DepositLost = "deposit_lost" { internal },
    /// A deposit to correct or withdraw is not recorded (or was withdrawn before).
    DepositNotFound = "deposit_not_found" {
        "この入金の記録が見つかりません(取り消し済みかもしれません)。画面を開き直してください。",
        "This deposit is not recorded (it may have been withdrawn). Open the screen again.",
    },
    /// The order's deposit check is not marked, so there is nothing to undo.
    DepositNotMarked = "deposit_not_marked" {
        "この注文の入金チェックはされていません。",
        "This order's deposit is not marked.",
    },
    /// The same document number was issued meanwhile (a second window or the command line
    /// issued it at the same moment); no file was made.
    DocumentNumberTaken = "document_number_taken" {
        "同じ帳票（{number}）がたった今、別の画面かコマンドで発行されました。ファイルは作っていません。",
        "The same document ({number}) was issued a moment ago from another window or the command line. No file was made.",
        next: "もう一度発行すると、次の番号の再発行になります。",
        "Issue it again to get the next number, marked 再発行.",
    },
    /// Some selected orders cannot have this document; no file was made (each is named).
    DocumentRefused = "document_refused" {
        "{document}を発行できない注文があるため、ファイルは作っていません。{orders}",
        "Some orders cannot have a {document}, so no file was made. {orders}",
        next: "その注文を選択から外して、もう一度発行してください。",
        "Leave those orders out of the selection and issue again.",
    },
    /// A chosen file is larger than PayDesk reads (the cap from the rules table). `{size}`
    /// is the file's size as a clause ("12.0 MBあり、" / "is 12.0 MB and "), or empty;
    /// `{advice}` what to do for this kind of file.
    FileTooLarge = "file_too_large" {
        "ファイル「{name}」は{size}PayDesk が読み込めるファイルの上限（{cap}）を超えています。読み込んでいません。",
        "The file \"{name}\" {size}is larger than PayDesk reads ({cap} at most). It was not read.",
        next: "{advice}",
        "{advice}",
    },
    /// A chosen file could not be read. `{what}` names the kind of file ("CA証明書の" /
    /// "CA certificate "), or is empty.
    FileUnreadable = "file_unreadable" {
        "{what}ファイル「{name}」を読めませんでした（{detail}）。",
        "The {what}file \"{name}\" could not be read ({detail}).",
        next: "ファイルの場所を確認して、選び直してください。",
        "Check where the file is and select it again.",
    },
    /// A file could not be written.
    FileUnwritable = "file_unwritable" {
        "ファイル「{name}」に書き込めませんでした（{detail}）。",
        "The file \"{name}\" could not be written ({detail}).",
        next: "保存先のフォルダがあるか、ほかのアプリでそのファイルを開いていないか確かめてください。",
        "Check that the folder exists and that no other app has the file open.",
    },
    /// The setup guide's relay step needs a URL, or "no relay".
    GuideRelayUrlMissing = "guide_relay_url_missing" {
        "中継サーバー（リレー）のURLを入力してください。リレーを使わない場合は「リレーを使わない」を選んでください。",
        "Enter the relay's URL, or choose \"No relay\".",
    },
    /// A setup-guide step was attempted before the one before it passed: here, before the
    /// connection to Paygent.
    GuideStepOrder = "guide_step_order" {
        "先に「ペイジェントへの接続」の手順を終えてください（接続テストの成功が必要です）。",
        "Finish the step \"Connection to Paygent\" first (its connection test must pass).",
        next: "前の手順に戻り、テストが成功してから進んでください。",
        "Go back to the previous step and continue once its test has passed.",
    },
    /// A setup-guide step was attempted before the payment notifications' step passed.
    GuideNotificationsFirst = GuideStepOrder {
        "先に「決済通知」の手順を終えてください（リレーを使う場合はそのテストの成功が必要です）。",
        "Finish the step \"Payment notifications\" first (with a relay, its test must pass).",
        next: "前の手順に戻り、テストが成功してから進んでください。",
        "Go back to the previous step and continue once its test has passed.",
    },
    /// The setup guide was to be completed before every step's test passed.
    GuideStepsUnfinished = GuideStepOrder {
        "まだ終わっていない手順があります。各手順のテストが成功してから完了できます。",
        "A step is not finished yet: the guide can be completed once each step's test has passed.",
        next: "前の手順に戻り、テストが成功してから進んでください。",
        "Go back to the previous step and continue once its test has passed.",
    },
    /// The setup guide cannot finish: the test with the saved settings failed.
    GuideTestFailed = "guide_test_failed" {
        "保存した設定でのテストが失敗したため、まだ完了できません：{reason}",
        "Not done yet: the test with the saved settings failed: {reason}",
        next: "その手順に戻って値を確かめ、もう一度テストしてください。",
        "Go back to that step, check the values and test again.",
    },
    /// The chosen seal or logo image is not a PNG.
    ImageNotPng = "image_not_png" {
        "「{path}」はPNG画像として読めませんでした。",
        "\"{path}\" could not be read as a PNG image.",
        next: "画像をPNG形式で保存し直してから選んでください。",
        "Save the image as a PNG and select it again.",
    },
    /// This storefront import was already undone.
    ImportAlreadyUndone = "import_already_undone" {
        "取り込み #{id} はすでに取り消しています。",
        "Import #{id} was already undone.",
    },
    /// The file or the orders changed after the import's preview; nothing was changed.
    ImportChanged = "import_changed" {
        "確認した内容のあとで、ファイルか受注が変わりました。何も変更していません。",
        "The file or the orders changed after the preview. Nothing was changed.",
        next: "もう一度「変更内容を確認」からやり直してください。",
        "Preview the changes again, then apply.",
    },
    /// No storefront import with this number.
    ImportNotFound = "import_not_found" {
        "取り込み #{id} が見つかりません。",
        "Import #{id} was not found.",
    },
    /// A URL that would carry a secret does not start with https://.
    InsecureUrl = "insecure_url" {
        "{what}のURLは https:// で始めてください。http:// では{secret}が暗号化されずに送られます（http:// はこのコンピューター自身：localhost・127.0.0.1・::1 にだけ使えます）。",
        "The {what} URL must start with https://: over http:// the {secret} would travel unencrypted (http:// is allowed only to this computer: localhost, 127.0.0.1, ::1).",
        next: "設定画面で{what}のURLを https:// で入力し直してください。",
        "Enter the {what} URL with https:// in Settings.",
    },
    /// An amount is not allowed here (negative, or above what it may be).
    InvalidAmount = "invalid_amount" {
        "入金額に負の金額は入力できません。",
        "A deposit cannot be negative.",
    },
    /// Edited buyer details do not pass their checks (each bad field is named).
    InvalidBuyerDetails = "invalid_buyer_details" {
        "{problems}",
        "{problems}",
        next: "直してからもう一度保存してください。入力した内容はそのまま残っています。",
        "Correct it and save again; what you typed is still there.",
    },
    /// Not one of the failed-renewal choices (domain's reason).
    InvalidChoice = "invalid_choice" {
        "{reason}",
        "{reason}",
    },
    /// Not a billing cycle PayDesk knows.
    InvalidCycle = "invalid_cycle" {
        "周期「{cycle}」は使えません。例: 1m（毎月）、2m、1w（毎週）。",
        "\"{cycle}\" is not a cycle. Examples: 1m (monthly), 2m, 1w (weekly).",
    },
    /// The settlement contract's closing and payment days are not a settlement cycle.
    InvalidSettlementCycle = InvalidCycle {
        "締め日と支払日が正しくありません。日は 1〜31(31 は月末)、支払日は締め日より後、締めから 3 か月以内にしてください。",
        "The closing and payment days are not valid: days are 1–31 (31 = month end), and the payment comes after the closing day, within three months.",
    },
    /// Not a date (PayDesk takes 2026-12-01).
    InvalidDate = "invalid_date" {
        "{field}「{value}」は日付として読めません。2026-12-01 の形で入力してください。",
        "The {field} \"{value}\" is not a date. Enter it as 2026-12-01.",
    },
    /// A subscription's date is not a date; `{field}` names it in both languages.
    InvalidSubscriptionDate = InvalidDate {
        "{field}「{value}」は YYYY-MM-DD 形式の日付で入力してください。",
        "Enter {field} \"{value}\" as a date YYYY-MM-DD.",
    },
    /// A fee is negative.
    InvalidFee = "invalid_fee" {
        "手数料に負の金額は入力できません。",
        "A fee cannot be negative.",
    },
    /// A fee rate is not a percentage with at most two decimals.
    InvalidFeeRate = "invalid_fee_rate" {
        "決済手数料率「{value}」は読めません。3.6 のように、% の数字を小数 2 桁までで入力してください。",
        "The fee rate \"{value}\" is not readable. Enter a percentage with at most two decimals, like 3.6.",
    },
    /// A fee rate is higher than a contract may have (probably not a percentage).
    FeeRateTooHigh = InvalidFeeRate {
        "決済手数料率が高すぎます。% で入力しているか確かめてください。",
        "The fee rate is too high; check it is a percentage.",
    },
    /// Not a language of the app's mail texts (ja or en).
    InvalidLanguage = "invalid_language" {
        "「{value}」は使えない言語です（ja か en）。",
        "\"{value}\" is not a language (ja or en).",
    },
    /// Not a language of the app's screens (ja or en).
    UnsupportedLanguage = InvalidLanguage {
        "「{value}」は使えない言語です。日本語(ja)か英語(en)を選んでください。",
        "\"{value}\" is not a supported language; choose Japanese (ja) or English (en).",
    },
    /// Not a mail queue state.
    InvalidMailState = "invalid_mail_state" {
        "「{value}」はメールの状態ではありません。",
        "\"{value}\" is not a mail state.",
    },
    /// Not a month (PayDesk takes 2026-12).
    InvalidMonth = "invalid_month" {
        "「{value}」は月として読めません。2026-12 の形で入力してください。",
        "\"{value}\" is not a month. Enter it as 2026-12.",
    },
    /// A date range is reversed.
    InvalidRange = "invalid_range" {
        "終了日が開始日より前です。",
        "The last day is before the first day.",
    },
    /// A date range is reversed or longer than ten years (one message for both).
    RangeNotValid = InvalidRange {
        "期間が正しくありません(終了日が開始日より前か、10 年を超えています)。",
        "The range is not valid (the last day is before the first, or it is longer than ten years).",
    },
    /// The relay URL is not an https:// URL.
    InvalidRelayUrl = "invalid_relay_url" {
        "中継サーバーのURLは https:// で始まるURLを入力してください。",
        "Enter the relay URL starting with https://.",
    },
    /// Not a send schedule (off, daily:9, weekly:mon:9, monthly:1:9).
    InvalidSchedule = "invalid_schedule" {
        "送信スケジュール「{value}」は使えません。例: off、daily:9、weekly:mon:9、monthly:1:9。",
        "\"{value}\" is not a schedule. Examples: off, daily:9, weekly:mon:9, monthly:1:9.",
    },
    /// Not an SMTP security mode (tls, starttls, plain).
    InvalidSmtpSecurity = "invalid_smtp_security" {
        "暗号化方式は tls、starttls、plain のどれかを選んでください。",
        "Choose tls, starttls or plain.",
    },
    /// A bank statement column is neither a header name nor a column number.
    InvalidStatementColumn = "invalid_statement_column" {
        "{column}「{value}」は使えません。明細の見出しの名前か、1 から数えた列の番号を入力してください。",
        "The {column} \"{value}\" cannot be used. Enter the statement's header name or the column's number, counting from 1.",
    },
    /// Not a payment status code.
    InvalidStatus = "invalid_status" {
        "「{value}」は決済状況のコードではありません。",
        "\"{value}\" is not a payment status code.",
    },
    /// The label file's ship date is not a date.
    LabelBadShipDate = "label_bad_ship_date" {
        "出荷予定日「{value}」は日付ではありません（例：2026-12-07）。",
        "The ship date \"{value}\" is not a date (e.g. 2026-12-07).",
    },
    /// No order is selected for the label file.
    LabelNoOrders = "label_no_orders" {
        "注文が選ばれていません。",
        "No order is selected.",
    },
    /// The shop's details as the labels' sender are incomplete (each missing one is named).
    LabelSenderIncomplete = "label_sender_incomplete" {
        "{problems}",
        "{problems}",
        next: "ショップ情報（名前・住所・電話番号）を設定画面で入力してから、もう一度出力してください。ファイルは作っていません。",
        "Enter the shop's details (name, address, phone) in Settings, then export again. No file was written.",
    },
    /// The command line's label file left orders out.
    LabelsNotAllWritten = "labels_not_all_written" {
        "{count}件の受注を書き出せませんでした。",
        "{count} orders were not written.",
    },
    /// The stored bank statement column mapping cannot be read back.
    MappingJson = "mapping_json" { internal },
    /// No file was chosen to save to.
    NoPath = "no_path" {
        "保存先のファイルを選んでください。",
        "Choose the file to save to.",
    },
    /// The order has no transaction at Paygent, so there is nothing to ask about.
    NoTransaction = "no_transaction" {
        "この受注にはペイジェントの取引がありません（決済が作られる前に断られました）。問い合わせることはありません。",
        "This order has no transaction at Paygent (it was refused before a payment existed), so there is nothing to check.",
    },
    /// The order is not a failed renewal.
    NotAFailedRenewal = "not_a_failed_renewal" {
        "受注 {id} は失敗した継続決済の受注ではありません。",
        "Order {id} is not a failed renewal.",
    },
    /// An earlier operation never reached Paygent (settled by inquiry).
    NotApplied = "not_applied" {
        "前回の操作はペイジェントに届いていませんでした。必要ならもう一度操作してください。",
        "The earlier operation never reached Paygent. Do it again if it is still needed.",
    },
    /// Paygent's connection details are not set yet.
    NotConfigured = "not_configured" {
        "ペイジェントの接続情報（マーチャントID・接続ID・接続パスワード・クライアント証明書）がまだ設定されていません。",
        "Paygent's connection details (merchant ID, connect ID, connect password, client certificate) are not set yet.",
        next: "設定画面で接続情報を入力し、「接続テスト」を押してください。",
        "Enter them in Settings and press \"Test connection\".",
    },
    /// The subscription has not ended, so it cannot be restarted.
    NotEnded = "not_ended" {
        "この定期購入は終了していません。",
        "This subscription has not ended.",
    },
    /// The subscription cannot be renewed (ended, or not on a stored card; domain's reason).
    NotRenewable = "not_renewable" {
        "{reason}",
        "{reason}",
    },
    /// There is no failed-renewal choice to take back.
    NothingToUndo = "nothing_to_undo" {
        "取り消せる対応はありません。",
        "There is no choice to take back.",
    },
    /// The command line's operation did not complete (its result says why).
    OperationNotCompleted = "operation_not_completed" {
        "{reason}",
        "{reason}",
    },
    /// An order mail could not be prepared (a bug: no address after the check).
    OrderMail = "order_mail" { internal },
    /// This order cannot have this mail now (domain's reason).
    OrderMailRefused = "order_mail_refused" {
        "{reason}",
        "{reason}",
    },
    /// The command line's order mails: some orders cannot have this mail.
    OrderMailsRefused = OrderMailRefused {
        "{count}件の注文にはこのメールを送れません。",
        "{count} orders cannot have this mail.",
    },
    /// The command line's order mails were not all sent.
    OrderMailsNotAllSent = "order_mails_not_all_sent" {
        "{count}件の注文にはメールを送っていません。",
        "{count} orders were not sent the mail.",
    },
    /// No order with this id.
    OrderNotFound = "order_not_found" {
        "受注 {id} が見つかりません。一覧を再読み込みしてください。",
        "Order {id} was not found. Reload the list.",
    },
    /// More than one order has this order number.
    OrderNumberAmbiguous = "order_number_ambiguous" {
        "注文番号「{number}」の注文が複数あります（ID {ids}）。",
        "Several orders have the order number \"{number}\" (IDs {ids}).",
    },
    /// No order has this order number.
    OrderNumberNotFound = "order_number_not_found" {
        "注文番号「{number}」の注文はありません。",
        "No order has the order number \"{number}\".",
    },
    /// A date range is longer than ten years.
    RangeTooLong = "range_too_long" {
        "期間が長すぎます。10 年以内で指定してください。",
        "The range is too long; choose at most ten years.",
    },
    /// Some selected orders cannot have a receipt yet; no file was made (each is named).
    ReceiptRefused = "receipt_refused" {
        "{document}を発行できない注文があるため、ファイルは作っていません。{orders}",
        "Some orders cannot have a {document}, so no file was made. {orders}",
        next: "その注文を選択から外して、もう一度発行してください。",
        "Leave those orders out of the selection and issue again.",
    },
    /// PayDesk could not start itself again (to enter or leave the demo).
    RelaunchFailed = "relaunch_failed" {
        "PayDesk をもう一度起動できませんでした。PayDesk を終了し、デモは「paydesk --demo」で起動してください。",
        "PayDesk could not start again. Quit PayDesk and start the demo with \"paydesk --demo\".",
    },
    /// Nothing came from the relay for too long; PayDesk polls Paygent meanwhile.
    RelayStalled = "relay_stalled" {
        "中継サーバーから{minutes}分以上何も届いていません（接続が止まっている可能性があります）。差分照会（091）に切り替えて取得しています。",
        "Nothing has arrived from the relay for over {minutes} minutes (the connection may have stalled). PayDesk switched to the difference inquiry (091).",
    },
    /// The relay refused the desktop token.
    RelayUnauthorized = "relay_unauthorized" {
        "中継サーバーが端末トークンを受け付けませんでした。",
        "The relay refused the desktop token.",
        next: "中継サーバーの管理者に新しい端末トークンを発行してもらい（paydesk-relay add-desktop）、設定画面に入力してください。",
        "Ask the relay's administrator for a new desktop token (paydesk-relay add-desktop) and enter it in Settings.",
    },
    /// The relay cannot be reached; PayDesk polls Paygent meanwhile.
    RelayUnreachable = "relay_unreachable" {
        "中継サーバーに接続できません。PayDesk はペイジェントへの差分照会（091）で状態を取得し続けます。",
        "The relay cannot be reached ({detail}). PayDesk keeps fetching status from Paygent with the difference inquiry (091).",
        next: "インターネット接続と中継サーバーのURLを確認してください。",
        "Check the internet connection and the relay URL.",
    },
    /// A reminder is not sent now (already sent this period, or the card was updated;
    /// domain's reason).
    ReminderNotSent = "reminder_not_sent" {
        "{reason}",
        "{reason}",
    },
    /// This renewal cycle is recorded already; it is never authorized twice.
    RenewalAlreadyRecorded = "renewal_already_recorded" {
        "この回の継続決済は記録済みです（{state}）。二重には決済しません。",
        "This cycle is already recorded ({state}); it is never authorized twice.",
    },
    /// The subscription was changed while its renewal was being decided; nothing was sent.
    RenewalSubscriptionChanged = "renewal_subscription_changed" {
        "この定期購入は決済の直前に変更されたため、この回は決済していません。変更後の内容で改めて判断します。",
        "This subscription was changed just before the charge, so this cycle was not charged; it is decided again with the changes.",
    },
    /// A journaled renewal vanished (a bug).
    RenewalLost = "renewal_lost" { internal },
    /// One of the shop's document details is too long.
    ShopDetailTooLong = "shop_detail_too_long" {
        "{field}が長すぎます（{max}文字まで）。",
        "The {field} is too long ({max} characters at most).",
    },
    /// The shop's name for its documents is not set.
    ShopNameMissing = "shop_name_missing" {
        "帳票に載せるショップ名がまだ設定されていません。",
        "The shop's name for its documents is not set yet.",
        next: "設定画面の「ショップ」で「ショップ名」を入力して保存してください。",
        "Enter the shop name in Settings, under \"Shop\", and save.",
    },
    /// A mail was not sent; the SMTP server's error was not kept in a known form (the
    /// stored words are the message).
    SmtpFailed = "smtp_failed" {
        "{reason}",
        "{reason}",
    },
    /// E-mail (SMTP) is not set up; mails stay queued.
    SmtpNotConfigured = "smtp_not_configured" {
        "メール送信（SMTP）の設定がまだありません。メールは送信待ちのまま残ります。",
        "E-mail (SMTP) is not set up yet. Mails stay queued.",
        next: "定期購入画面の「メール設定」でSMTPサーバー・送信元アドレスを入力してください。",
        "Enter the SMTP server and sender address under \"E-mail settings\" on the Subscriptions screen.",
    },
    /// The statement file or the recorded deposits changed after the preview; nothing was recorded.
    StatementChanged = "statement_changed" {
        "確認した内容のあとで、明細ファイルか記録済みの入金が変わりました。何も記録していません。",
        "The statement file or the recorded deposits changed after the preview. Nothing was recorded.",
        next: "もう一度「内容を確認」からやり直してください。",
        "Preview the statement again, then import.",
    },
    /// The bank statement file cannot be read with the column mapping (domain's reason).
    StatementUnreadable = "statement_unreadable" {
        "{reason}",
        "{reason}",
    },
    /// Paygent has no such stored card for the customer.
    StoredCardNotFound = "stored_card_not_found" {
        "会員「{customer}」のカードID「{card}」はペイジェントに登録されていません（削除されたか、IDが誤っています）。",
        "Paygent has no stored card \"{card}\" for customer \"{customer}\" (deleted, or a wrong ID).",
        next: "購入者にカードの再登録を依頼するか、定期購入のカードIDを確認してください。",
        "Ask the buyer to register the card again, or check the subscription's card ID.",
    },
    /// No subscription with this id.
    SubscriptionNotFound = "subscription_not_found" {
        "定期購入 {id} が見つかりません。一覧を再読み込みしてください。",
        "Subscription {id} was not found. Reload the list.",
    },
    /// More orders than one document file may hold.
    TooManyDocuments = "too_many_documents" {
        "一度に発行できるのは{max}件までです。選ぶ注文を減らしてください。",
        "At most {max} orders can be issued at once. Select fewer.",
    },
    /// The carrier's issued-labels file cannot be read (domain's reason).
    TrackingFileUnreadable = "tracking_file_unreadable" {
        "{reason}",
        "{reason}",
        next: "送り状ソフトから発行済みデータを出力し直して、選び直してください。ファイルは何も取り込んでいません。",
        "Export the issued labels again and choose that file. Nothing was imported.",
    },
    /// The command line's tracking import left lines unrecorded.
    TrackingNotAllRecorded = "tracking_not_all_recorded" {
        "{count}行の問合せ番号を登録できませんでした。",
        "{count} lines were not recorded.",
    },
    /// The tracking number typed for an order is not the carrier's form (10 to 14 digits).
    TrackingNumberInvalid = "tracking_number_invalid" {
        "問合せ番号「{number}」は10〜14桁の数字ではありません。",
        "The tracking number \"{number}\" is not 10 to 14 digits.",
        next: "送り状に印刷された問合せ番号（伝票番号）を入力してください。",
        "Enter the tracking number printed on the label.",
    },
    /// The tracking number whose carrier page was asked for is not 10 to 14 digits.
    TrackingNumberNotDigits = TrackingNumberInvalid {
        "問合せ番号「{number}」は10〜14桁の数字ではありません。",
        "The tracking number \"{number}\" is not 10 to 14 digits.",
    },
    /// The tracking number is already recorded on another order.
    TrackingNumberTaken = "tracking_number_taken" {
        "問合せ番号 {number} は注文 {order} に登録済みです。",
        "Tracking number {number} is already recorded on order {order}.",
        next: "番号を確かめてください。",
        "Check the number.",
    },
    /// The computer woke from sleep; sync checks for anything missed.
    WokeFromSleep = "woke_from_sleep" {
        "スリープから復帰しました。取りこぼしがないか確認しています。",
        "Woke from sleep; checking for anything missed.",
    },
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `{name}`s of a text, in order. A name is lowercase ASCII letters and `_`.
pub(crate) fn placeholders(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// `text` with each `{name}` replaced by `value(name)`. A name without a value comes back
/// as the error (the text is still whole, the placeholder left out, never shown as `{x}`).
pub(crate) fn fill<'a>(
    text: &str,
    value: impl Fn(&str) -> Option<&'a str>,
) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut missing = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_name(&after[..close]) => {
                let name = &after[..close];
                match value(name) {
                    Some(v) => out.push_str(v),
                    None => missing.push(name.to_owned()),
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    (out, missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_code_is_one_distinct_snake_case_string() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            if let Some(primary) = code.shares() {
                // A second wording: its primary's string, and the primary is a code of its own.
                assert_eq!(s, primary.as_str(), "{code:?}");
                assert_eq!(primary.shares(), None, "{code:?} shares a second wording");
                continue;
            }
            assert!(seen.insert(s), "{s} twice");
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
        }
    }

    #[test]
    fn every_code_has_its_words_in_both_languages() {
        for code in ErrorCode::ALL {
            let t = code.texts();
            let texts = [Some(t.message), t.next].into_iter().flatten();
            for (ja, en) in texts {
                assert!(!ja.trim().is_empty(), "{code:?}: no Japanese");
                assert!(!en.trim().is_empty(), "{code:?}: no English");
                assert!(
                    !ja.is_ascii() || placeholders(ja).len() == 1,
                    "{code:?}: the Japanese is not Japanese: {ja}"
                );
            }
        }
    }

    #[test]
    fn the_placeholders_of_japanese_english_and_the_next_step_match() {
        for code in ErrorCode::ALL {
            let t = code.texts();
            let names = |pick: fn((&'static str, &'static str)) -> &'static str| {
                [Some(t.message), t.next]
                    .into_iter()
                    .flatten()
                    .flat_map(|pair| placeholders(pick(pair)))
                    .filter(|n| *n != "detail")
                    .collect::<BTreeSet<_>>()
            };
            assert_eq!(names(|p| p.0), names(|p| p.1), "{code:?}");
            // `{detail}` (the OS's or a library's English words) may be in English only,
            // never in Japanese only.
            let detail = |pick: fn((&'static str, &'static str)) -> &'static str| {
                [Some(t.message), t.next]
                    .into_iter()
                    .flatten()
                    .any(|pair| placeholders(pick(pair)).contains(&"detail"))
            };
            assert!(!detail(|p| p.0) || detail(|p| p.1), "{code:?}");
        }
    }

    #[test]
    fn every_brace_in_the_table_is_a_placeholder() {
        for code in ErrorCode::ALL {
            let t = code.texts();
            for (ja, en) in [Some(t.message), t.next].into_iter().flatten() {
                for text in [ja, en] {
                    let opens = text.matches('{').count();
                    let closes = text.matches('}').count();
                    assert_eq!(opens, placeholders(text).len(), "{code:?}: {text}");
                    assert_eq!(closes, opens, "{code:?}: {text}");
                }
            }
        }
    }

    #[test]
    fn filling_replaces_every_placeholder_and_names_the_missing_ones() {
        let (text, missing) = fill("受注 {id} と {other}", |n| (n == "id").then_some("7"));
        assert_eq!(text, "受注 7 と ");
        assert_eq!(missing, ["other"]);
        let (text, missing) = fill("{ not a name } {x", |_| Some("?"));
        assert_eq!(text, "{ not a name } {x");
        assert!(missing.is_empty());
    }
}
