//! The generated attacker: proptest draws worlds (accounts of each kind, roles
//! drawn from the catalog, alias users with random reach, "all servers", disabled and
//! expired logins) and sequences of steps by random actors through the real routes, pages
//! and JSON API alike. `steps.rs` judges each step with `model.rs`, an independent
//! restatement of the no-escalation rule that never calls into `steward::access`.
//!
//! Deterministic: a fixed seed. `PROPTEST_CASES` sets the number of cases (default 64),
//! `ATTACKER_STEPS` the longest sequence (default 16), `ATTACKER_SEED` another seed (any
//! text), `ATTACKER_VERBOSE=1` prints every step, and `ATTACKER_KEEP_GOING=1` records every broken rule over all cases instead of
//! stopping (and shrinking) at the first, then fails with the list. SECURITY.md has the
//! counts measured.

pub mod fixtures;

mod api;
mod client;
mod model;
mod plan;
mod snapshot;
mod steps;
mod world;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

use crate::helpers::TestApp;

backend_tests!(the_attacker_calls_every_documented_api_route);

/// The attacker on both backends. Its keys of disabled or expired logins are refused
/// (401) again and again from one address: the key-guess throttle (its own test is
/// abuse::api) would soon answer 429 to every key, so it is set out of reach here.
mod the_generated_attacker_never_gains_a_right_it_was_not_given {
    async fn app(backend: steward::db::Backend) -> crate::helpers::TestApp {
        crate::helpers::spawn_app_limited(
            backend,
            steward::web::limits::Limits {
                api_key_failures_per_minute: 1_000_000,
                ..crate::helpers::test_limits()
            },
        )
        .await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::the_generated_attacker_never_gains_a_right_it_was_not_given(
            app(steward::db::Backend::Sqlite).await,
        )
        .await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::the_generated_attacker_never_gains_a_right_it_was_not_given(
            app(steward::db::Backend::Postgres).await,
        )
        .await;
    }
}

/// Every operation of the OpenAPI document that takes a key is one of the attacker's key
/// calls (`api::API_CALLS`), or is listed as left out with its reason: a route added to
/// the API is attacked once it has its line there.
async fn the_attacker_calls_every_documented_api_route(app: TestApp) {
    let doc: serde_json::Value = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let attacked: Vec<(String, &str)> = api::API_CALLS
        .iter()
        .map(|c| (c.method.to_lowercase(), c.path.split('?').next().unwrap()))
        .chain(
            api::NOT_ATTACKED
                .iter()
                .map(|(m, p, _)| (m.to_lowercase(), *p)),
        )
        .collect();
    let mut missing = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let methods = [
            "get", "put", "post", "delete", "patch", "head", "options", "trace",
        ];
        for method in item.as_object().unwrap().keys() {
            if !methods.contains(&method.as_str()) {
                continue;
            }
            if !attacked.iter().any(|(m, p)| m == method && p == path) {
                missing.push(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "API routes the attacker does not call: {missing:?}; add a line for each to \
         API_CALLS in tests/api/no_escalation/attacker/api.rs (with its Rule), or to NOT_ATTACKED with why"
    );
    for (m, p) in &attacked {
        assert!(
            doc["paths"][*p][m.as_str()].is_object(),
            "the attacker calls {m} {p}, which the document does not list"
        );
    }
}

const DEFAULT_CASES: u32 = 64;
const DEFAULT_STEPS: usize = 16;

fn env_number<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// The fixed seed, or one derived from `ATTACKER_SEED`.
fn seed() -> [u8; 32] {
    let mut seed = *b"steward issue 14: no escalation!";
    if let Ok(s) = std::env::var("ATTACKER_SEED") {
        for (i, b) in s.bytes().enumerate() {
            seed[i % 32] ^= b.wrapping_add(i as u8);
        }
    }
    seed
}

struct Found {
    case: u32,
    rule: String,
    detail: String,
    log: Vec<String>,
}

async fn the_generated_attacker_never_gains_a_right_it_was_not_given(app: TestApp) {
    let cases = env_number("PROPTEST_CASES", DEFAULT_CASES);
    let max_steps = env_number("ATTACKER_STEPS", DEFAULT_STEPS);
    let keep_going = std::env::var("ATTACKER_KEEP_GOING").is_ok_and(|v| v == "1");
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: env_number("ATTACKER_SHRINK_ITERS", 64),
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed()));
    let handle = tokio::runtime::Handle::current();
    let next_case = AtomicU32::new(1);
    let found: Mutex<Vec<Found>> = Mutex::new(Vec::new());
    let tally: Mutex<BTreeMap<String, (u32, u32)>> = Mutex::new(BTreeMap::new());
    let steps_run = AtomicU32::new(0);
    let started = std::time::Instant::now();

    let result = runner.run(&plan::case(max_steps), |(world_plan, steps)| {
        let case = next_case.fetch_add(1, Ordering::SeqCst);
        tokio::task::block_in_place(|| {
            handle.block_on(async {
                let world = world::build(&app, &format!("w{case}x"), &world_plan, case);
                let mut r = steps::Runner::new(&app, world);
                let mut outcome = r.mint_keys(&world_plan.keys).await;
                for s in steps.iter().filter(|_| outcome.is_ok()) {
                    steps_run.fetch_add(1, Ordering::Relaxed);
                    if let Err(v) = r.play(s).await {
                        if keep_going {
                            // Record it and play on: one broken rule must not hide the next.
                            found.lock().unwrap().push(Found {
                                case,
                                rule: v.rule,
                                detail: v.detail,
                                log: r.log.clone(),
                            });
                            continue;
                        }
                        outcome = Err(v);
                        break;
                    }
                }
                {
                    let mut t = tally.lock().unwrap();
                    for (k, (a, b)) in &r.tally {
                        let e = t.entry(k.clone()).or_default();
                        e.0 += a;
                        e.1 += b;
                    }
                }
                match outcome {
                    Ok(()) => Ok(()),
                    Err(v) => Err(TestCaseError::fail(format!(
                        "{}\n  {}\n  steps of case {case}:\n    {}",
                        v.rule,
                        v.detail,
                        r.log.join("\n    ")
                    ))),
                }
            })
        })
    });

    eprintln!(
        "attacker on {:?}: {cases} cases, {} steps in {:.0?}; accepted/refused by action: {:?}",
        app.backend,
        steps_run.load(Ordering::Relaxed),
        started.elapsed(),
        tally.lock().unwrap()
    );
    let found = found.into_inner().unwrap();
    if !found.is_empty() {
        let mut by_rule: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for f in &found {
            let cases = by_rule.entry(&f.rule).or_default();
            if !cases.contains(&f.case) {
                cases.push(f.case);
            }
        }
        for f in &found {
            eprintln!(
                "case {}: {}\n  {}\n    {}",
                f.case,
                f.rule,
                f.detail,
                f.log.join("\n    ")
            );
        }
        panic!("the attacker broke these rules (cases): {by_rule:#?}");
    }
    if let Err(e) = result {
        panic!("the attacker broke a rule: {e}");
    }
}
