//! What every end-to-end test does on the app's screen: find an element by its
//! `data-testid` (waiting for it), click it, read its text, and call a backend command the
//! way the UI does.
//!
//! Layout: [`css`] turns a test ID into a selector, [`unique`] makes order numbers no
//! other test run uses and [`grouped`] writes amounts as the screens do; the `Session` methods wait at most the session's `wait`, which each
//! test file sets to its own patience with `Session::waiting`.

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::{Value, json};

use crate::driver::Session;

/// The selector of the element with this `data-testid`.
pub fn css(testid: &str) -> String {
    format!("[data-testid='{testid}']")
}

/// `prefix` followed by the clock's nanoseconds: an order number no earlier run used.
pub fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{prefix}{nanos:09}")
}

/// `n` with its thousands grouped (`96004` → `96,004`, `-1300` → `-1,300`), as the
/// screens and the banks' files write amounts.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::from(if n < 0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl Session {
    /// Types `value` into the input with this test ID, replacing what it held, once the
    /// input is there and enabled (an input is disabled while what it feeds cannot run).
    pub async fn fill(&self, testid: &str, value: &str) {
        let input = self
            .wait_css(&format!("{}:not([disabled])", css(testid)))
            .await;
        input.clear().await.unwrap();
        input.send_keys(value).await.unwrap();
    }

    /// Searches the order list (open on screen) for `number` and opens that order once its
    /// row is listed (by its exact number: a search also lists the numbers it is part of,
    /// e.g. a renewal's `…R`).
    ///
    /// The row is clicked only once the search is applied (its chip names it): until then
    /// the row may be listed from the unsearched list, and when the search lands the list
    /// shrinks and the filter bar slides in, so a click aimed at the old place opens
    /// nothing. A click that still landed while the list moved is made again.
    pub async fn open_searched_order(&self, number: &str) {
        self.fill("orders-search", number).await;
        let row = format!(
            "tr[data-testid='order-row'][data-order-number='{number}'] [data-testid='open-order']"
        );
        self.until("the search was never applied", self.wait, async || {
            let chip = self
                .client
                .find(Locator::Css("[data-testid='active-filter-search']"))
                .await
                .ok()?;
            chip.text().await.ok()?.contains(number).then_some(())
        })
        .await;
        self.open_order_at(&row, &format!("order {number} never opened"))
            .await;
    }

    /// Opens the first order of the list shown: as [`Session::open_searched_order`], it
    /// clicks again if the list was redrawn under the click (the demo fills it as it starts).
    pub async fn open_first_order(&self) {
        self.wait_css("[data-testid='open-order']").await;
        self.open_order_at("[data-testid='open-order']", "the first order never opened")
            .await;
    }

    /// Clicks the link `row` finds until the order's detail shows.
    async fn open_order_at(&self, row: &str, what: &str) {
        self.until(what, self.wait, async || {
            if let Ok(link) = self.client.find(Locator::Css(row)).await {
                let _ = link.click().await;
            }
            self.client
                .wait()
                .at_most(std::time::Duration::from_secs(2))
                .for_element(Locator::Css("[data-testid='detail-header']"))
                .await
                .ok()
                .map(|_| ())
        })
        .await;
    }

    /// Polls `check` until it returns something (at most `patience`), waiting for the next
    /// backend event between tries rather than a fixed time.
    pub async fn until<T>(
        &self,
        what: &str,
        patience: std::time::Duration,
        mut check: impl AsyncFnMut() -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            if let Some(found) = check().await {
                return found;
            }
            assert!(tokio::time::Instant::now() < deadline, "{what}");
            self.client
                .execute_async(
                    "const done = arguments[0];
                     window.__TAURI__.event.once('desk-event', () => done(true));
                     setTimeout(() => done(false), 2000);",
                    vec![],
                )
                .await
                .unwrap();
        }
    }

    /// The first element matching `selector`, once there is one.
    pub async fn wait_css(&self, selector: &str) -> Element {
        let deadline = std::time::Instant::now() + self.wait;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self
                .client
                .wait()
                .at_most(left)
                .for_element(Locator::Css(selector))
                .await
            {
                Ok(element) => return element,
                // The screen re-rendered under the lookup ("stale element"): look again.
                Err(e) if !left.is_zero() && is_stale(&e) => continue,
                Err(e) => {
                    self.report_failure().await;
                    panic!("nothing matches {selector}: {e}")
                }
            }
        }
    }

    /// Before a failed wait panics: what the screen showed (a screenshot and its text) and
    /// the end of the app's log, so a failure seen only in CI can be read afterwards.
    pub async fn report_failure(&self) {
        let path = self.screenshot("failure").await;
        let shown = self
            .client
            .execute("return document.body.innerText.slice(0, 1500);", vec![])
            .await
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .unwrap_or_default();
        let log =
            std::fs::read_to_string(self.data_dir.join("logs/paydesk.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(80).collect();
        eprintln!(
            "--- the screen ({}):\n{shown}\n--- the app's log, last lines:\n{}\n---",
            path.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }

    /// Starts watching for the first frame in which `selector` is on screen, and records
    /// then what `probe` (a JavaScript expression over the element `el`) says: what a shop
    /// owner could act on at that very moment. Read it with [`Session::first_sight`].
    pub async fn watch_first_sight(&self, name: &str, selector: &str, probe: &str) {
        self.client
            .execute(
                &format!(
                    "const [name, selector] = arguments;
                     window.__firstSight = window.__firstSight || {{}};
                     delete window.__firstSight[name];
                     const record = () => {{
                       const el = document.querySelector(selector);
                       if (!el) return false;
                       window.__firstSight[name] = {probe};
                       return true;
                     }};
                     if (!record()) {{
                       const watch = new MutationObserver(() => {{ if (record()) watch.disconnect(); }});
                       watch.observe(document.body, {{ childList: true, subtree: true }});
                     }}"
                ),
                vec![json!(name), json!(selector)],
            )
            .await
            .unwrap();
    }

    /// What [`Session::watch_first_sight`]'s probe said, once its element has shown.
    pub async fn first_sight(&self, name: &str) -> Value {
        self.until(&format!("{name} never showed"), self.wait, async || {
            let seen = self
                .client
                .execute(
                    "return (window.__firstSight || {})[arguments[0]] ?? null",
                    vec![json!(name)],
                )
                .await
                .ok()?;
            (!seen.is_null()).then_some(seen)
        })
        .await
    }

    /// Clicks the element with this `data-testid`.
    pub async fn click(&self, testid: &str) {
        self.click_css(&css(testid)).await;
        // A sidebar button has done its work once its screen shows: each screen's code is
        // fetched when it is first opened, so the screen may come a moment after the click.
        if let Some(screen) = testid.strip_prefix("nav-") {
            self.wait_css(&format!("main[data-testid='screen-{screen}']"))
                .await;
        }
    }

    /// Clicks the first element matching `selector`, finding it again if the screen
    /// re-rendered between the lookup and the click. Clicks once nothing on screen is
    /// moving: a click aimed while a bar slides in lands where the element was (a row's
    /// check box under a filter bar still sliding in was never ticked).
    pub async fn click_css(&self, selector: &str) {
        self.until_still().await;
        let deadline = std::time::Instant::now() + self.wait;
        loop {
            match self.wait_css(selector).await.click().await {
                Ok(()) => return,
                Err(e) if std::time::Instant::now() < deadline && is_stale(&e) => {}
                Err(e) => panic!("cannot click {selector}: {e}"),
            }
        }
    }

    /// Waits (at most 2 s: a screen may animate for good) until no animation runs.
    async fn until_still(&self) {
        let _ = self
            .client
            .execute_async(
                "const done = arguments[0];
                 const until = Date.now() + 2000;
                 const look = () => {
                   const moving = document.getAnimations().some((a) => a.playState === 'running');
                   if (!moving || Date.now() > until) done(true); else requestAnimationFrame(look);
                 };
                 look();",
                vec![],
            )
            .await;
    }

    /// The text of the first element matching `selector`, read again if the screen
    /// re-rendered between the lookup and the read.
    pub async fn text_of(&self, selector: &str) -> String {
        let deadline = std::time::Instant::now() + self.wait;
        loop {
            match self.wait_css(selector).await.text().await {
                Ok(text) => return text,
                Err(e) if std::time::Instant::now() < deadline && is_stale(&e) => {}
                Err(e) => panic!("cannot read {selector}: {e}"),
            }
        }
    }

    /// An attribute of the first element matching `selector` (empty when it has none),
    /// read again if the screen re-rendered between the lookup and the read.
    pub async fn attr_of(&self, selector: &str, name: &str) -> String {
        let deadline = std::time::Instant::now() + self.wait;
        loop {
            match self.wait_css(selector).await.attr(name).await {
                Ok(value) => return value.unwrap_or_default(),
                Err(e) if std::time::Instant::now() < deadline && is_stale(&e) => {}
                Err(e) => panic!("cannot read {name} of {selector}: {e}"),
            }
        }
    }

    /// Calls a backend command the way the UI does (for what the UI does not show).
    pub async fn invoke(&self, command: &str, args: Value) -> Value {
        let answer = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 window.__TAURI_INTERNALS__.invoke(arguments[0], arguments[1]).then(
                   (v) => done({ ok: v }), (e) => done({ err: e }));",
                vec![json!(command), args],
            )
            .await
            .expect("invoke");
        match answer.get("ok") {
            Some(v) => v.clone(),
            None => panic!("{command} failed: {answer}"),
        }
    }
}

/// The screen re-rendered under a lookup: WebKitWebDriver reports the old node as stale
/// ("Node with identifier … was not found").
fn is_stale(e: &fantoccini::error::CmdError) -> bool {
    let debug = format!("{e:?}");
    debug.contains("StaleElementReference")
        || debug.contains("was not found")
        // The page unloaded under the lookup (a reload the test asked for had not begun
        // when the lookup started): the new document is looked in again.
        || debug.contains("before the unload event")
}
