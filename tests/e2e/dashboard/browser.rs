//! Headless Chromium at a 1366×768 laptop size, through chromedriver.

use crate::support::{Reserved, reserve_port};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long the page may take to show what a step waits for.
const PATIENCE: Duration = Duration::from_secs(120);

/// A browser session and its chromedriver.
pub struct Browser {
    pub client: Client,
    driver: Child,
    /// More to show when a step fails (the server's log).
    context: Box<dyn Fn() -> String + Send + Sync>,
    /// Holds chromedriver's port, which it is told up front.
    _port: Reserved,
}

impl Browser {
    /// Starts Chromium; `context` tells more when a step fails (such as the server's
    /// log).
    pub async fn start(context: impl Fn() -> String + Send + Sync + 'static) -> Self {
        let reserved = reserve_port();
        let port = reserved.port();
        // Its own process group, so that Chromium (its child) goes with it even when
        // a failed step leaves the session open.
        let driver = Command::new("chromedriver")
            .process_group(0)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian chromium-driver; scripts/test-env.sh installs it)");
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1366,768"],
            }),
        );
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            let attempt = ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await;
            match attempt {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("cannot start a Chromium session: {e}"),
            }
        };
        Self {
            client,
            driver,
            context: Box::new(context),
            _port: reserved,
        }
    }

    /// Opens `url` and waits for `ready` (an element the page shows once its scripts
    /// ran). A page that has not started within 30 s is loaded once more, with what it
    /// had fetched written to stderr.
    pub async fn open(&self, url: &str, ready: &str) {
        self.client.goto(url).await.unwrap();
        let started = self
            .client
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(ready))
            .await;
        if started.is_err() {
            eprintln!(
                "the page did not start within 30 s; loading it again {}",
                self.page().await
            );
            self.client.refresh().await.unwrap();
        }
        self.find(ready).await;
    }

    /// The page's text, for failure messages.
    async fn page(&self) -> String {
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        let fetched = self
            .client
            .execute(
                "return document.readyState + ' | ' + performance.getEntriesByType('resource')\
                 .map(e => e.name + ' ' + Math.round(e.duration) + 'ms ' + (e.responseStatus || '?'))\
                 .join(', ');",
                vec![],
            )
            .await
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .unwrap_or_default();
        format!(
            "at {url}:\n{text}\nfetched: {fetched}\n{}",
            (self.context)()
        )
    }

    /// Waits for an element matching `css`.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(e) => e,
            Err(e) => panic!("no {css} ({e}) {}", self.page().await),
        }
    }

    /// Clicks the element matching `css` once it is there and enabled.
    pub async fn click(&self, css: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let e = self.find(css).await;
            let enabled = e.is_enabled().await.unwrap_or(false);
            if enabled && e.click().await.is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} never became clickable {}",
                self.page().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the element matching `css` shows `expected` in its text (the
    /// element may be on the page before its text is).
    pub async fn wait_text(&self, css: &str, expected: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.find(css).await.text().await.unwrap_or_default();
            if text.contains(expected) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} kept {text:?}, without {expected:?} {}",
                self.page().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub async fn attr_of(&self, css: &str, attr: &str) -> String {
        self.find(css)
            .await
            .attr(attr)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    }

    /// Waits until the element matching `css` has `attr` = `value`.
    pub async fn wait_attr(&self, css: &str, attr: &str, value: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.attr_of(css, attr).await;
            if now == value {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{css} kept {attr}={now:?}, not {value:?} {}",
                self.page().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Checks that the page fits the 1366 px width (no sideways scrolling), and saves a
    /// screenshot as `name.png` in `$SEAMLESS_SCREENSHOTS` when that is set.
    pub async fn fits(&self, name: &str) {
        let overflow = self
            .client
            .execute(
                "return document.documentElement.scrollWidth - window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert!(
            overflow.as_i64().is_some_and(|px| px <= 0),
            "the {name} page is {overflow} px wider than the window {}",
            self.page().await
        );
        if let Ok(dir) = std::env::var("SEAMLESS_SCREENSHOTS") {
            let png = self.client.screenshot().await.unwrap();
            std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
        }
    }

    /// Ends the session; dropping the browser then stops chromedriver's group.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The group's id is chromedriver's pid.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.wait();
    }
}
