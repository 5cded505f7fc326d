//! Every error code PayDesk makes itself, once, with what it means: the table behind
//! [`AppError::code`](crate::AppError). The UI, the command line's output and the tests
//! match on these strings, so a code is written here and nowhere else (a typo in a
//! variant does not compile); [`ErrorCode::as_str`] is the string on the wire, unchanged.
//!
//! Codes from another crate's own table keep their strings and do not appear here: the
//! gateway's error dictionary (`paygent_codec`), the mail crate's template and SMTP
//! errors, the keychain's, and domain's refusals (`AppError::foreign`).

/// Declares the enum, its wire strings and the list of all codes from one table.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal,)*) => {
        /// An error code PayDesk makes itself.
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
                    $(ErrorCode::$variant => $code,)*
                }
            }
        }
    };
}

error_codes! {
    /// An accounting account name has a character Yayoi's Shift_JIS file cannot hold.
    AccountingAccountNotShiftJis = "accounting_account_not_shift_jis",
    /// An accounting account name is longer than the accounting software takes.
    AccountingAccountTooLong = "accounting_account_too_long",
    /// The journal export needs account names that are not set yet (each one is named).
    AccountingAccountsMissing = "accounting_accounts_missing",
    /// Start at login could not be turned on or off (the OS refused).
    AutostartFailed = "autostart_failed",
    /// A month outside 1–12 reached the monthly summary (a bug, not the shop's input).
    BadMonth = "bad_month",
    /// The carrier's tracking page could not be opened in the browser.
    BrowserNotOpened = "browser_not_opened",
    /// The command line's bulk capture ended with orders not captured.
    BulkNotAllCaptured = "bulk_not_all_captured",
    /// Another bulk capture is running; one at a time.
    BulkRunInProgress = "bulk_run_in_progress",
    /// No bulk-capture run with this number in the operation log.
    BulkRunNotFound = "bulk_run_not_found",
    /// A bulk-capture run's state cannot move this way (a bug).
    BulkTransition = "bulk_transition",
    /// The buyer has no e-mail address, so no mail can go to them.
    BuyerEmailMissing = "buyer_email_missing",
    /// The chosen CA certificate file is not PEM text.
    CaNotPem = "ca_not_pem",
    /// The gateway reported a stored card's expiry PayDesk cannot read.
    CardExpiryUnreadable = "card_expiry_unreadable",
    /// This failed-renewal choice is not available for this order now.
    ChoiceNotAvailable = "choice_not_available",
    /// The command line's connection test failed without a code of its own.
    ConnectionFailed = "connection_failed",
    /// The stored settlement contract cannot be read back (a bug or a damaged setting).
    ContractJson = "contract_json",
    /// The CSV export could not be written.
    CsvWrite = "csv_write",
    /// The data folder cannot be created or used.
    DataDirUnusable = "data_dir_unusable",
    /// The local database failed.
    DatabaseError = "database_error",
    /// The database was written by a newer PayDesk.
    DatabaseTooNew = "database_too_new",
    /// The start date is after the end date.
    DateRangeReversed = "date_range_reversed",
    /// The demo's embedded simulator or relay could not start.
    DemoFailed = "demo_failed",
    /// This build has no demo (a release build); nothing was touched.
    DemoUnavailable = "demo_unavailable",
    /// A deposit to correct or withdraw is imported from the bank's statement (the bank's
    /// record, never corrected in PayDesk).
    DepositImported = "deposit_imported",
    /// A deposit just recorded is gone (a bug).
    DepositLost = "deposit_lost",
    /// A deposit to correct or withdraw is not recorded (or was withdrawn before).
    DepositNotFound = "deposit_not_found",
    /// The order's deposit check is not marked, so there is nothing to undo.
    DepositNotMarked = "deposit_not_marked",
    /// The same document number was issued meanwhile (a second window or the command line
    /// issued it at the same moment); no file was made.
    DocumentNumberTaken = "document_number_taken",
    /// Some selected orders cannot have this document; no file was made (each is named).
    DocumentRefused = "document_refused",
    /// A chosen file is larger than PayDesk reads (the cap from the rules table).
    FileTooLarge = "file_too_large",
    /// A chosen file could not be read.
    FileUnreadable = "file_unreadable",
    /// A file could not be written.
    FileUnwritable = "file_unwritable",
    /// The setup guide's relay step needs a URL, or "no relay".
    GuideRelayUrlMissing = "guide_relay_url_missing",
    /// A setup-guide step was attempted before the one before it passed.
    GuideStepOrder = "guide_step_order",
    /// The setup guide cannot finish: the test with the saved settings failed.
    GuideTestFailed = "guide_test_failed",
    /// The chosen seal or logo image is not a PNG.
    ImageNotPng = "image_not_png",
    /// This storefront import was already undone.
    ImportAlreadyUndone = "import_already_undone",
    /// The file or the orders changed after the import's preview; nothing was changed.
    ImportChanged = "import_changed",
    /// No storefront import with this number.
    ImportNotFound = "import_not_found",
    /// A URL that would carry a secret does not start with https://.
    InsecureUrl = "insecure_url",
    /// An amount is not allowed here (negative, or above what it may be).
    InvalidAmount = "invalid_amount",
    /// Edited buyer details do not pass their checks (each bad field is named).
    InvalidBuyerDetails = "invalid_buyer_details",
    /// Not one of the failed-renewal choices.
    InvalidChoice = "invalid_choice",
    /// Not a billing cycle (or a settlement cycle) PayDesk knows.
    InvalidCycle = "invalid_cycle",
    /// Not a date (PayDesk takes 2026-12-01).
    InvalidDate = "invalid_date",
    /// A fee is negative.
    InvalidFee = "invalid_fee",
    /// A fee rate is not a percentage with at most two decimals.
    InvalidFeeRate = "invalid_fee_rate",
    /// Not a language of the app (ja or en).
    InvalidLanguage = "invalid_language",
    /// Not a mail queue state.
    InvalidMailState = "invalid_mail_state",
    /// Not a month (PayDesk takes 2026-12).
    InvalidMonth = "invalid_month",
    /// A date range is reversed or longer than ten years.
    InvalidRange = "invalid_range",
    /// The relay URL is not an https:// URL.
    InvalidRelayUrl = "invalid_relay_url",
    /// Not a send schedule (off, daily:9, weekly:mon:9, monthly:1:9).
    InvalidSchedule = "invalid_schedule",
    /// Not an SMTP security mode (tls, starttls, plain).
    InvalidSmtpSecurity = "invalid_smtp_security",
    /// A bank statement column is neither a header name nor a column number.
    InvalidStatementColumn = "invalid_statement_column",
    /// Not a payment status code.
    InvalidStatus = "invalid_status",
    /// The label file's ship date is not a date.
    LabelBadShipDate = "label_bad_ship_date",
    /// No order is selected for the label file.
    LabelNoOrders = "label_no_orders",
    /// The shop's details as the labels' sender are incomplete (each missing one is named).
    LabelSenderIncomplete = "label_sender_incomplete",
    /// The command line's label file left orders out.
    LabelsNotAllWritten = "labels_not_all_written",
    /// The stored bank statement column mapping cannot be read back.
    MappingJson = "mapping_json",
    /// No file was chosen to save to.
    NoPath = "no_path",
    /// The order has no transaction at Paygent, so there is nothing to ask about.
    NoTransaction = "no_transaction",
    /// The order is not a failed renewal.
    NotAFailedRenewal = "not_a_failed_renewal",
    /// An earlier operation never reached Paygent (settled by inquiry).
    NotApplied = "not_applied",
    /// Paygent's connection details are not set yet.
    NotConfigured = "not_configured",
    /// The subscription has not ended, so it cannot be restarted.
    NotEnded = "not_ended",
    /// The subscription cannot be renewed (ended, or not on a stored card).
    NotRenewable = "not_renewable",
    /// There is no failed-renewal choice to take back.
    NothingToUndo = "nothing_to_undo",
    /// The command line's operation did not complete (its result says why).
    OperationNotCompleted = "operation_not_completed",
    /// An order mail could not be prepared (a bug: no address after the check).
    OrderMail = "order_mail",
    /// This order cannot have this mail now (the reason is the message).
    OrderMailRefused = "order_mail_refused",
    /// The command line's order mails were not all sent.
    OrderMailsNotAllSent = "order_mails_not_all_sent",
    /// No order with this id.
    OrderNotFound = "order_not_found",
    /// More than one order has this order number.
    OrderNumberAmbiguous = "order_number_ambiguous",
    /// No order has this order number.
    OrderNumberNotFound = "order_number_not_found",
    /// A date range is longer than ten years.
    RangeTooLong = "range_too_long",
    /// Some selected orders cannot have a receipt yet; no file was made (each is named).
    ReceiptRefused = "receipt_refused",
    /// PayDesk could not start itself again (to enter or leave the demo).
    RelaunchFailed = "relaunch_failed",
    /// Nothing came from the relay for too long; PayDesk polls Paygent meanwhile.
    RelayStalled = "relay_stalled",
    /// The relay refused the desktop token.
    RelayUnauthorized = "relay_unauthorized",
    /// The relay cannot be reached; PayDesk polls Paygent meanwhile.
    RelayUnreachable = "relay_unreachable",
    /// A reminder is not sent now (already sent this period, or the card was updated).
    ReminderNotSent = "reminder_not_sent",
    /// This renewal cycle is recorded already; it is never authorized twice.
    RenewalAlreadyRecorded = "renewal_already_recorded",
    /// A journaled renewal vanished (a bug).
    RenewalLost = "renewal_lost",
    /// One of the shop's document details is too long.
    ShopDetailTooLong = "shop_detail_too_long",
    /// The shop's name for its documents is not set.
    ShopNameMissing = "shop_name_missing",
    /// A mail was not sent; the SMTP server's error was not kept in a known form.
    SmtpFailed = "smtp_failed",
    /// E-mail (SMTP) is not set up; mails stay queued.
    SmtpNotConfigured = "smtp_not_configured",
    /// The statement file or the recorded deposits changed after the preview; nothing was recorded.
    StatementChanged = "statement_changed",
    /// The bank statement file cannot be read with the column mapping.
    StatementUnreadable = "statement_unreadable",
    /// Paygent has no such stored card for the customer.
    StoredCardNotFound = "stored_card_not_found",
    /// No subscription with this id.
    SubscriptionNotFound = "subscription_not_found",
    /// More orders than one document file may hold.
    TooManyDocuments = "too_many_documents",
    /// The carrier's issued-labels file cannot be read.
    TrackingFileUnreadable = "tracking_file_unreadable",
    /// The command line's tracking import left lines unrecorded.
    TrackingNotAllRecorded = "tracking_not_all_recorded",
    /// The tracking number is not the carrier's form (10 to 14 digits).
    TrackingNumberInvalid = "tracking_number_invalid",
    /// The tracking number is already recorded on another order.
    TrackingNumberTaken = "tracking_number_taken",
    /// The computer woke from sleep; sync checks for anything missed.
    WokeFromSleep = "woke_from_sleep",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn every_code_is_one_distinct_snake_case_string() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
        }
    }
}
