//! Debian's Chromium under chromedriver, started by the test itself: `Driver::start()`
//! runs chromedriver on a free port, `driver.session()` opens a headless Chromium with a
//! fresh profile and answers a `Page` with the few verbs the journey needs (go, click,
//! type, wait, screenshot). Nothing here downloads a browser: the binaries come from the
//! `chromium` and `chromium-driver` packages (.ci/run installs them), and a missing one
//! fails the run with a message saying so, in CI and on a developer's machine alike.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::{temp_dir, TempDir};

/// How long a page may take to show what the test waits for (2 shared cores, debug build).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// The flags every session starts Chromium with: headless, no sandbox (CI runs as root),
/// and nothing that reaches out to the network on its own.
const CHROMIUM_FLAGS: [&str; 7] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// A tool from the environment variable `var` if set, else the first of `names` on PATH.
fn find_tool(var: &str, names: &[&str], package: &str) -> PathBuf {
    if let Ok(p) = std::env::var(var) {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "{var} points at {}, which does not exist",
            p.display()
        );
        return p;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in names {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let ci = if std::env::var("CI").is_ok_and(|v| v == "true") {
        " (CI=true: .ci/run should have installed it; the browser tests never pass without a browser)"
    } else {
        ""
    };
    panic!(
        "The browser tests need Debian's `{package}` package: none of {names:?} is on PATH{ci}. \
         Install it with `apt-get install chromium chromium-driver`, or point {var} at the binary."
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free local port for chromedriver")
}

/// A running chromedriver; killed when dropped.
pub struct Driver {
    child: Child,
    url: String,
    chromium: PathBuf,
    _logs: TempDir,
}

impl Driver {
    pub async fn start() -> Driver {
        let chromium = find_tool(
            "STEWARD_CHROMIUM",
            &["chromium", "chromium-browser"],
            "chromium",
        );
        let chromedriver = find_tool("STEWARD_CHROMEDRIVER", &["chromedriver"], "chromium-driver");
        let logs = temp_dir();
        let port = free_port();
        let child = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!(
                "--log-path={}",
                logs.0.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", chromedriver.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            chromium,
            _logs: logs,
        };
        let status = format!("{}/status", driver.url);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Ok(res) = reqwest::get(&status).await {
                if res.status().is_success() {
                    break;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on {status} within {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    /// A new headless Chromium (its own profile, so its own cookies) on the app at `base`.
    pub async fn session(&self, base: &str) -> Page {
        let profile = temp_dir();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.0.display()));
        args.push("--window-size=1280,900".into());
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": self.chromium, "args": args },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!("a JSON object literal")
        };
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        Page {
            client,
            base: base.to_string(),
            _profile: profile,
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser window on the app.
pub struct Page {
    pub client: Client,
    base: String,
    _profile: TempDir,
}

impl Page {
    pub async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    }

    /// The path (and query) the browser shows now.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        }
    }

    /// Waits until the browser is on `path` (after a click that navigates).
    pub async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.path().await;
            if now == path {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "expected the browser on {path}, it is on {now}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The first element matching `css`, waiting for it to exist.
    pub async fn find(&self, css: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await;
        match found {
            Ok(e) => e,
            Err(e) => panic!("no element {css} on {}: {e}", self.path().await),
        }
    }

    pub async fn find_xpath(&self, xpath: &str) -> Element {
        let found = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(xpath))
            .await;
        match found {
            Ok(e) => e,
            Err(e) => panic!("no element {xpath} on {}: {e}", self.path().await),
        }
    }

    /// The texts of every element matching `css` now, read in one script so that an htmx
    /// swap in between cannot leave the test holding a stale element.
    pub async fn texts(&self, css: &str) -> Vec<String> {
        let found = self
            .client
            .execute(
                "return Array.from(document.querySelectorAll(arguments[0]))
                    .map(e => e.innerText.trim());",
                vec![serde_json::Value::String(css.to_string())],
            )
            .await
            .unwrap_or_else(|e| panic!("reading {css}: {e}"));
        serde_json::from_value(found).expect("a list of texts")
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        // Into the middle of the window first, as a person scrolls to what they click: at
        // the window's edge it may sit under a sticky bar (the role editor's save bar).
        let _ = self
            .client
            .execute(
                "arguments[0].scrollIntoView({block: 'center', inline: 'nearest'});",
                vec![serde_json::to_value(&element).expect("an element reference")],
            )
            .await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Clears the field `css` and types `text` into it, as a person would.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Whether the element `css` is shown (false when absent or hidden).
    pub async fn shows(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(e) => e.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Waits until `css` is shown.
    pub async fn wait_shown(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.shows(css).await {
            assert!(
                Instant::now() < deadline,
                "{css} did not become visible on {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `check` holds for the page's state, re-reading it every 100 ms.
    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + PATIENCE;
        while !check().await {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what} on {}",
                self.path().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until an element matching `css` has a text that `matches` (a flash message,
    /// the answer inside a dialog); `what` names it in the timeout's message.
    pub async fn wait_for_text(&self, css: &str, what: &str, matches: impl Fn(&str) -> bool) {
        let matches = &matches;
        self.wait_until(what, || async move {
            self.texts(css).await.iter().any(|t| matches(t))
        })
        .await;
    }

    /// Picks the `n`-th option (from 1, as XPath counts) of the select `#id`.
    pub async fn pick_option(&self, id: &str, n: usize) {
        self.find_xpath(&format!("//select[@id='{id}']/option[{n}]"))
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("option {n} of #{id}: {e}"));
    }

    /// Writes the visible part of the page to `dir/name.png`.
    pub async fn screenshot(&self, dir: &Path, name: &str) {
        // Let fonts, the dialog backdrop and htmx swaps settle before the picture.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::create_dir_all(dir).expect("screenshot folder");
        let tmp = dir.join(format!("{name}.png.tmp"));
        std::fs::write(&tmp, png).expect("write screenshot");
        std::fs::rename(&tmp, dir.join(format!("{name}.png"))).expect("place screenshot");
    }

    /// Like `screenshot`, of the whole page: the window grows to the page's height.
    pub async fn screenshot_full(&self, dir: &Path, name: &str) {
        let (w, h) = self.client.get_window_size().await.expect("window size");
        let height = self
            .client
            .execute(
                "window.scrollTo(0, 0);
                 return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight;",
                vec![],
            )
            .await
            .expect("page height")
            .as_u64()
            .unwrap_or(h);
        self.client
            .set_window_size(w as u32, height.min(4000) as u32)
            .await
            .expect("resize");
        self.screenshot(dir, name).await;
        self.client
            .set_window_size(w as u32, h as u32)
            .await
            .expect("resize back");
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}
