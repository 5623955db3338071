//! The accessibility check: axe-core (MPL-2.0, from the npm registry; tests/browser/
//! package.json pins it and `npm ci --prefix tests/browser` installs it, which .ci/run does
//! and this module does too when the file is missing) is injected into the page as it
//! stands and run there. Every violation is printed; serious and critical ones (and any
//! without an impact) are kept and fail the run at the end of the journey, all pages'
//! problems listed together. An answer that is not a list of violations fails the check.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::driver::Page;

fn folder() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// axe.min.js, installed from the npm registry on first use if needed.
fn source() -> &'static str {
    static SOURCE: OnceLock<String> = OnceLock::new();
    SOURCE.get_or_init(|| {
        let file = folder().join("node_modules/axe-core/axe.min.js");
        if !file.is_file() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--prefix"])
                .arg(folder())
                .status()
                .unwrap_or_else(|e| {
                    panic!(
                        "the accessibility check needs axe-core from the npm registry and npm \
                         could not run ({e}). Install node and npm, then run \
                         `npm ci --prefix tests/browser`."
                    )
                });
            assert!(
                status.success(),
                "`npm ci --prefix tests/browser` failed: axe-core is needed"
            );
        }
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("reading {}: {e}", file.display()))
    })
}

/// The serious and critical problems found so far, one line each.
#[derive(Default)]
pub struct Audit {
    pub problems: Vec<String>,
    pub pages: Vec<String>,
}

impl Audit {
    /// Runs axe on what `page` shows now (`label` names it in the report).
    pub async fn check(&mut self, page: &Page, label: &str) {
        let injected = page
            .client
            .execute(source(), vec![])
            .await
            .and(
                page.client
                    .execute("return typeof window.axe === 'object';", vec![])
                    .await,
            )
            .unwrap_or_else(|e| panic!("injecting axe-core into {label}: {e}"));
        assert_eq!(
            injected,
            Value::Bool(true),
            "axe-core did not load on {label}"
        );
        let result = page
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] })
                    .then(r => done(JSON.stringify(r.violations)))
                    .catch(e => done(JSON.stringify({ error: String(e) })));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("running axe-core on {label}: {e}"));
        // Fail closed: anything but a JSON array of violations is a failed check, never
        // an empty (clean) one.
        let text = result
            .as_str()
            .unwrap_or_else(|| panic!("axe-core gave no answer on {label}: {result}"));
        let violations: Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("axe-core's answer on {label} is not JSON ({e}): {text}"));
        if let Some(err) = violations.get("error") {
            panic!("axe-core failed on {label}: {err}");
        }
        let violations = violations
            .as_array()
            .unwrap_or_else(|| panic!("axe-core's answer on {label} is not a list: {text}"));
        let path = page.path().await;
        self.pages.push(format!("{label} ({path})"));
        for v in violations {
            let impact = v["impact"].as_str().unwrap_or("unknown");
            let targets: Vec<String> = v["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .take(5)
                .map(|n| {
                    format!(
                        "{} — {}",
                        n["target"],
                        n["failureSummary"]
                            .as_str()
                            .unwrap_or("")
                            .replace('\n', " ")
                    )
                })
                .collect();
            let line = format!(
                "[{impact}] {label} {path}: {} ({}): {}\n    {}",
                v["id"].as_str().unwrap_or("?"),
                v["help"].as_str().unwrap_or(""),
                v["helpUrl"].as_str().unwrap_or(""),
                targets.join("\n    ")
            );
            println!("axe: {line}");
            // Only what axe itself calls minor or moderate passes; a missing impact counts.
            if impact != "minor" && impact != "moderate" {
                self.problems.push(line);
            }
        }
    }

    pub fn assert_clean(&self) {
        println!(
            "axe: checked {} pages: {}",
            self.pages.len(),
            self.pages.join(", ")
        );
        assert!(
            self.problems.is_empty(),
            "axe-core found {} serious or critical accessibility problems:\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}
