//! The shop's editable e-mail texts, every kind through one path ([`TemplateKind`]: the
//! card reminders and the order mails): the shop's edit or the built-in text, a save
//! checked against the kind's own placeholders (nothing is saved when the check fails),
//! and going back to the built-in text. The three commands (`mail_text`, `save_mail_text`,
//! `reset_mail_text`) serve the reminders' editor and the order mails' alike.

use domain::mail_template::TemplateKind;
use domain::order_mail::OrderMailKind;
use domain::subscription::ReminderKind;
use mail::{Language, Template};

use crate::ErrorCode;
use crate::context::Context;
use crate::dto::mail_text::{MailTextDto, MailTextInput, MailTextKindCode};
use crate::{AppError, convert};

pub(crate) fn template_error(e: &mail::TemplateError) -> AppError {
    AppError::foreign(e.code(), convert::text(&e.text()), None)
}

pub(crate) fn language_of(code: &str) -> Result<Language, AppError> {
    Language::from_code(code).ok_or_else(|| {
        AppError::of(ErrorCode::InvalidLanguage)
            .with("value", code)
            .into()
    })
}

/// A text as the editor shows it.
struct TemplateText {
    pub language: Language,
    pub template: Template,
    /// The shop edited it (`false`: the built-in text).
    pub edited: bool,
    /// `{buyer_name}`, … as this kind may use them.
    pub placeholders: Vec<String>,
}

/// The text of this kind in a language: the shop's edit, else the built-in one; and
/// whether it is the shop's.
pub(crate) fn template_of(
    cx: &Context,
    kind: TemplateKind,
    language: Language,
) -> Result<(Template, bool), AppError> {
    Ok(match cx.store().template(kind, language.code())? {
        Some(t) => (
            Template {
                subject: t.subject,
                body: t.body,
            },
            true,
        ),
        None => (Template::for_kind(kind, language), false),
    })
}

/// The text of this kind in a language (`ja`, `en`) for the editor.
fn template_text(
    cx: &Context,
    kind: TemplateKind,
    language: &str,
) -> Result<TemplateText, AppError> {
    let language = language_of(language)?;
    let (template, edited) = template_of(cx, kind, language)?;
    Ok(TemplateText {
        language,
        template,
        edited,
        placeholders: mail::placeholders_for(kind)
            .iter()
            .map(|p| format!("{{{p}}}"))
            .collect(),
    })
}

/// Saves an edited text; an unknown placeholder (for this kind) or an unmatched brace
/// is refused with the line and the valid placeholders, and nothing is saved.
fn save_template(
    cx: &Context,
    kind: TemplateKind,
    language: &str,
    subject: &str,
    body: &str,
) -> Result<TemplateText, AppError> {
    let lang = language_of(language)?;
    let template = Template {
        subject: subject.to_owned(),
        body: body.replace("\r\n", "\n"),
    };
    template
        .validate_for(kind)
        .map_err(|e| template_error(&e))?;
    let now = cx.now();
    cx.store()
        .set_template(kind, lang.code(), &template.subject, &template.body, now)?;
    tracing::info!(kind = kind.code(), "mail text saved");
    template_text(cx, kind, language)
}

/// Goes back to the built-in text.
fn reset_template(
    cx: &Context,
    kind: TemplateKind,
    language: &str,
) -> Result<TemplateText, AppError> {
    let lang = language_of(language)?;
    cx.store().reset_template(kind, lang.code())?;
    template_text(cx, kind, language)
}

fn template_kind(kind: MailTextKindCode) -> TemplateKind {
    match kind {
        MailTextKindCode::ExpiringSoon => TemplateKind::Reminder(ReminderKind::ExpiringSoon),
        MailTextKindCode::Expired => TemplateKind::Reminder(ReminderKind::Expired),
        MailTextKindCode::ShippingNotice => TemplateKind::OrderMail(OrderMailKind::ShippingNotice),
        MailTextKindCode::OrderConfirmation => {
            TemplateKind::OrderMail(OrderMailKind::OrderConfirmation)
        }
    }
}

fn dto(kind: MailTextKindCode, text: TemplateText) -> MailTextDto {
    MailTextDto {
        kind,
        language: text.language.code().into(),
        subject: text.template.subject,
        body: text.template.body,
        edited: text.edited,
        placeholders: text.placeholders,
    }
}

/// An editable e-mail text in a language (`ja`, `en`): the shop's edit or the built-in.
pub(crate) async fn mail_text(
    cx: &Context,
    kind: MailTextKindCode,
    language: String,
) -> Result<MailTextDto, AppError> {
    let text = template_text(cx, template_kind(kind), &language)?;
    Ok(dto(kind, text))
}

/// Saves an edited text; an unknown placeholder (for this kind) or an unmatched brace is
/// refused with the line and the valid placeholders, and nothing is saved.
pub(crate) async fn save_mail_text(
    cx: &Context,
    input: MailTextInput,
) -> Result<MailTextDto, AppError> {
    let text = save_template(
        cx,
        template_kind(input.kind),
        &input.language,
        &input.subject,
        &input.body,
    )?;
    Ok(dto(input.kind, text))
}

/// Goes back to the built-in text.
pub(crate) async fn reset_mail_text(
    cx: &Context,
    kind: MailTextKindCode,
    language: String,
) -> Result<MailTextDto, AppError> {
    let text = reset_template(cx, template_kind(kind), &language)?;
    Ok(dto(kind, text))
}
