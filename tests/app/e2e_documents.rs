//! Issue 20 through the real window: the shop's details in Settings (a registration number
//! that does not check out is refused in plain words; a logo chosen in the system's file
//! dialog), then an invoice issued from the
//! order detail into a PDF whose text (read with poppler's `pdftotext`) names the shop's
//! registration number and the order's amount; issued again it is marked 再発行, and both
//! issues are in the order's history.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use test_support::pdf_text;

use crate::driver::Session;
use crate::screen::{css, unique};

const WAIT: Duration = Duration::from_secs(60);

/// Brings an element into the middle of the window (for the screenshot).
async fn show(s: &Session, testid: &str) {
    s.wait_css(&css(testid)).await;
    s.client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({block: 'center'})",
            vec![serde_json::json!(css(testid))],
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn issue20_an_invoice_is_issued_from_the_order_detail_and_reissued() {
    let s = Session::start_demo().await.waiting(WAIT);
    s.wait_css(&css("demo-banner")).await;

    // Settings opens with the shop's saved settings in its form from the form's first
    // frame. It was drawn with the defaults first: a save there wrote them over the shop's
    // settings, and when the saved ones landed, the demo's simulator fields pushed the
    // sections below down, so a click aimed at their save button could land elsewhere (the
    // likely cause of this test's one unexplained failure: no error after the save).
    s.watch_first_sight(
        "settings form",
        &css("settings-save"),
        "({ simulatorFields: document.querySelector(\"[data-testid='settings-custom-url']\") !== null,
            shopName: document.querySelector(\"[data-testid='settings-shop-name']\").value })",
    )
    .await;
    s.click("nav-settings").await;
    let first = s.first_sight("settings form").await;
    assert_eq!(first["simulatorFields"], true, "{first}");
    let saved = s.invoke("get_settings", serde_json::json!({})).await;
    let saved_name = saved["shop_name"].as_str().unwrap_or("");
    assert_eq!(first["shopName"], saved_name, "{first}");

    // Settings: a mistyped registration number is refused and explained.
    // The section's boxes are there once the saved details are in them.
    s.wait_css("[data-testid='shop-docs'][data-loaded='true']")
        .await;
    s.fill("shop-docs-registration", "T7010705000726").await;
    s.click("shop-docs-save").await;
    let error = s.text_of(&css("shop-docs-error")).await;
    assert!(error.contains("登録番号"), "{error}");
    show(&s, "shop-docs-error").await;
    s.screenshot("documents-settings-refused").await;
    s.fill("shop-docs-registration", "T7010705000725").await;
    s.fill("shop-docs-address", "東京都渋谷区神宮前1-2-3").await;
    s.fill("shop-docs-phone", "03-1234-5678").await;
    s.click("shop-docs-save").await;
    s.wait_css(&css("shop-docs-saved")).await;
    // The name saved in the connection form above shows here at once (it stayed stale
    // until the screen was opened again).
    s.fill("settings-shop-name", "PayDesk 雑貨店 本店").await;
    s.click("settings-save").await;
    s.wait_css(&css("settings-saved")).await;
    s.until(
        "the documents' section to show the new name",
        WAIT,
        async || {
            let name = s.text_of(&css("shop-docs-name")).await;
            (name == "PayDesk 雑貨店 本店").then_some(())
        },
    )
    .await;
    s.screenshot("documents-settings-saved").await;

    // A logo chosen in the system's file dialog: the section says it is set, and the
    // invoice below carries it.
    let logo = Path::new(env!("CARGO_MANIFEST_DIR")).join("icons/32x32.png");
    let logo_state = css("shop-docs-logo-state");
    assert_eq!(s.text_of(&logo_state).await, "なし");
    s.click("shop-docs-logo-choose").await;
    crate::file_dialog::pick("PNG画像を選ぶ", &logo, async || {
        for _ in 0..30 {
            if s.text_of(&logo_state).await == "設定済み" {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    })
    .await;
    show(&s, "shop-docs-logo-state").await;
    s.screenshot("documents-settings-logo").await;

    // An authorized order's detail: issue its invoice.
    s.click("nav-orders").await;
    let row = "[data-testid='order-row'][data-status='20']";
    s.wait_css(&format!("{row} [data-testid='open-order']"))
        .await
        .click()
        .await
        .unwrap();
    let header = css("detail-header");
    s.wait_css(&header).await;
    let amount: i64 = s.attr_of(&header, "data-amount").await.parse().unwrap();
    let order_number = s.text_of(&css("detail-title")).await;
    let dir = std::env::temp_dir().join(unique("paydesk-e2e-documents-"));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("invoice.pdf");
    s.wait_css(&css("docs-kind"))
        .await
        .select_by_value("invoice")
        .await
        .unwrap();
    s.fill("docs-path", &first.display().to_string()).await;
    s.click("docs-issue").await;
    let done = css("docs-done");
    s.wait_css(&done).await;
    let numbers = s.attr_of(&done, "data-numbers").await;
    assert!(
        numbers.starts_with("I-") && numbers.ends_with("-1"),
        "{numbers}"
    );
    show(&s, "docs-done").await;
    s.screenshot("documents-issued").await;
    // The logo is drawn on it: poppler lists one image (after its two header lines).
    let images = Command::new("pdfimages")
        .arg("-list")
        .arg(&first)
        .output()
        .expect("pdfimages (poppler-utils) is installed by `cargo xtask setup`");
    let listed = String::from_utf8_lossy(&images.stdout).into_owned();
    assert!(
        listed.lines().count() > 2,
        "no image in the invoice:\n{listed}"
    );

    let yen = |n: i64| {
        let digits = n.to_string();
        let mut out = String::from("¥");
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    };
    let text = pdf_text(&first);
    for expected in [
        "請求書".to_owned(),
        "登録番号 T7010705000725".to_owned(),
        format!("合計 {}", yen(amount)),
        numbers.clone(),
    ] {
        assert!(
            text.contains(&expected),
            "{expected:?} ({order_number}) in\n{text}"
        );
    }
    assert!(!text.contains("再発行"), "{text}");

    // Issued again: a new number, marked 再発行; the history holds both issues.
    let second = dir.join("invoice-again.pdf");
    s.fill("docs-path", &second.display().to_string()).await;
    s.click("docs-issue").await;
    s.until("the second issue", WAIT, async || {
        let n = s.attr_of(&done, "data-numbers").await;
        n.ends_with("-2").then_some(())
    })
    .await;
    assert!(pdf_text(&second).contains("【再発行】"));
    // Kept beside the screenshots as the sample of this run.
    let artifacts = Path::new(env!("CARGO_MANIFEST_DIR")).join("artifacts/e2e");
    std::fs::copy(&second, artifacts.join("documents-invoice-reissued.pdf")).ok();
    let history = s
        .until("both issues in the history", WAIT, async || {
            let rows = s
                .client
                .find_all(fantoccini::Locator::Css(&css("history-text")))
                .await
                .ok()?;
            let mut texts = Vec::new();
            for r in rows {
                texts.push(r.text().await.unwrap_or_default());
            }
            (texts.iter().filter(|t| t.starts_with("請求書（I-")).count() == 2).then_some(texts)
        })
        .await;
    assert!(
        history.iter().any(|t| t.contains("を再発行しました")),
        "{history:?}"
    );
    show(&s, "detail-history").await;
    s.screenshot("documents-reissued-history").await;
    std::fs::remove_dir_all(&dir).ok();

    // The deposit check: only after the capture (captured here as the UI's button does).
    let order_id: i64 = s.attr_of(&header, "data-order-id").await.parse().unwrap();
    assert!(
        s.text_of(&css("deposit-state"))
            .await
            .contains("売上確定の後")
    );
    s.invoke(
        "perform_operation",
        serde_json::json!({"orderId": order_id, "request": {"kind": "capture", "amount_yen": null}}),
    )
    .await;
    s.fill("deposit-amount", "1000").await;
    s.click("deposit-mark").await;
    s.wait_css("[data-testid='deposit-panel'][data-marked='true']")
        .await;
    assert!(s.text_of(&css("deposit-state")).await.contains("入金済み"));
    assert!(
        s.text_of(&css("history-text"))
            .await
            .starts_with("入金チェック")
    );
    show(&s, "detail-deposit").await;
    s.screenshot("documents-deposit-marked").await;

    // The list: filtered by the deposit check, the row marked; a selection issues documents.
    s.click("detail-back").await;
    s.wait_css(&css("orders-table")).await;
    s.wait_css(&css("filter-deposit"))
        .await
        .select_by_value("received")
        .await
        .unwrap();
    s.wait_css("[data-testid='active-filter-deposit']").await;
    let row = format!("[data-testid='order-row'][data-order-id='{order_id}']");
    s.until("only the marked order listed", WAIT, async || {
        let rows = s
            .client
            .find_all(fantoccini::Locator::Css(&css("order-row")))
            .await
            .ok()?;
        let one = rows.len() == 1;
        let ours = s.client.find(fantoccini::Locator::Css(&row)).await.is_ok();
        (one && ours).then_some(())
    })
    .await;
    s.wait_css(&format!("{row} [data-testid='cell-deposit']"))
        .await;
    s.click("orders-documents").await;
    s.wait_css(&css("documents-select-first")).await;
    s.click(&format!("select-{order_id}")).await;
    s.wait_css(&css("documents-selected")).await;
    s.wait_css("[data-testid='documents-panel'] [data-testid='docs-issue']")
        .await;
    s.screenshot("documents-list-deposit-filter").await;
    s.end().await;
}
