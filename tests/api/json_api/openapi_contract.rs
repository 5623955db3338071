//! The OpenAPI document as a contract, on both backends. `/api/v1/openapi.json` is checked
//! by a real validator (`@apidevtools/swagger-parser` through `tests/openapi/validate.mjs`,
//! installed by scripts/test), and then every operation the document lists is called by
//! the document alone: path parameters from a seeded world, request bodies from the
//! documented examples, first without a key and then with the account owner's full-rights
//! key. Each answer must carry a documented status and match the documented shape. Nothing
//! here names a route, so a route added to the document is covered without editing this
//! file; a request body without an example fails the test by name.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{json, Map, Value};
use steward::db::Backend;

use crate::helpers::snapshot::snapshot;
use crate::helpers::{spawn_app_limited, tenants, test_limits, TestApp};

/// Runs a test once per backend on an app whose key-guess throttle never answers 429: the
/// contract test sends one key-less request per operation, and the default budget (20 a
/// minute) would soon be spent.
macro_rules! contract_tests {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name(super::app(steward::db::Backend::Sqlite).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name(super::app(steward::db::Backend::Postgres).await).await;
                }
            }
        )*
    };
}

contract_tests!(
    the_openapi_document_passes_a_real_openapi_validator,
    the_validator_rejects_a_broken_copy_of_the_document,
    every_documented_operation_answers_as_documented_with_and_without_a_key,
    every_documented_json_answer_has_an_example_of_its_own_shape,
);

async fn app(backend: Backend) -> TestApp {
    spawn_app_limited(
        backend,
        steward::web::limits::Limits {
            api_key_failures_per_minute: 1_000_000,
            ..test_limits()
        },
    )
    .await
}

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(app: &TestApp) -> Value {
    let res = reqwest::get(format!("{}/api/v1/openapi.json", app.address))
        .await
        .unwrap();
    assert_status!(res, 200);
    serde_json::from_str(&res.text().await.unwrap()).expect("the document is JSON")
}

// ---- the validator ----

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Node and the installed validator, or a failure that says how to get them: the check
/// never passes by being skipped.
fn validator() -> PathBuf {
    let script = repo().join("tests/openapi/validate.mjs");
    let package =
        repo().join("tests/openapi/node_modules/@apidevtools/swagger-parser/package.json");
    let node = Command::new("node").arg("--version").output();
    let missing = match node {
        Err(e) => Some(format!("node could not run ({e})")),
        Ok(o) if !o.status.success() => Some("`node --version` failed".to_string()),
        Ok(_) if !package.exists() => Some(format!(
            "@apidevtools/swagger-parser is not installed ({} is missing)",
            package.display()
        )),
        Ok(_) => None,
    };
    if let Some(why) = missing {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!(
                "CI: the OpenAPI validator is missing: {why}. CI must run scripts/test, which \
                 installs it (`npm ci --prefix tests/openapi`)."
            );
        }
        panic!(
            "the OpenAPI validator is missing: {why}. Run scripts/test once (it installs node \
             and the validator), or `npm ci --prefix tests/openapi` with node installed."
        );
    }
    script
}

/// Runs the validator on `doc`: whether it accepted it, and what it said.
fn validate(doc: &Value) -> (bool, String) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let script = validator();
    let file = std::env::temp_dir().join(format!(
        "steward-openapi-{}-{}.json",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    ));
    std::fs::write(&file, serde_json::to_string_pretty(doc).unwrap()).unwrap();
    let out = Command::new("node")
        .arg(&script)
        .arg(&file)
        .current_dir(repo())
        .output()
        .expect("node runs");
    let _ = std::fs::remove_file(&file);
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), said)
}

async fn the_openapi_document_passes_a_real_openapi_validator(app: TestApp) {
    let doc = document(&app).await;
    let (ok, said) = validate(&doc);
    assert!(ok, "the validator refused /api/v1/openapi.json:\n{said}");
    assert!(
        said.contains("valid OpenAPI 3.1"),
        "utoipa emits OpenAPI 3.1 and the validator checked it as such: {said}"
    );
}

/// The validator is not a rubber stamp: a dangling reference, an answer without its
/// (required) description and an undeclared path parameter are each refused with the place
/// named.
async fn the_validator_rejects_a_broken_copy_of_the_document(app: TestApp) {
    let doc = document(&app).await;
    let (path, method) = operations(&doc)
        .into_iter()
        .find(|(p, _)| p.contains('{'))
        .expect("an operation with a path parameter");
    type Breakage<'a> = (&'a str, Box<dyn Fn(&mut Value) + 'a>);
    let breakages: [Breakage; 3] = [
        (
            "components/schemas",
            Box::new(|d: &mut Value| {
                d["components"]["schemas"]["Missing"] =
                    json!({"$ref": "#/components/schemas/Nowhere"});
            }),
        ),
        (
            "a response without its description",
            Box::new(|d: &mut Value| {
                let responses = d["paths"][&path][&method]["responses"]
                    .as_object_mut()
                    .unwrap();
                let first = responses.values_mut().next().expect("an answer");
                first.as_object_mut().unwrap().remove("description");
            }),
        ),
        (
            "path parameter",
            Box::new(|d: &mut Value| {
                d["paths"][&path][&method]
                    .as_object_mut()
                    .unwrap()
                    .remove("parameters");
            }),
        ),
    ];
    for (what, break_it) in breakages {
        let mut broken = doc.clone();
        break_it(&mut broken);
        let (ok, said) = validate(&broken);
        assert!(!ok, "a document with broken {what} passed: {said}");
        assert!(
            said.contains("Nowhere") || said.contains(&path) || said.contains("~1"),
            "the validator names the place ({what}): {said}"
        );
    }
}

/// The shape check itself can fail: a missing required property, a wrong type deep in a
/// list, and a value outside an enum are each reported with their place.
#[test]
fn the_shape_check_reports_missing_properties_wrong_types_and_unknown_values() {
    let doc = json!({"components": {"schemas": {
        "Item": {"type": "object", "required": ["id"], "properties": {
            "id": {"type": "integer"},
            "state": {"type": ["string", "null"], "enum": ["on", "off", null]}
        }},
        "Page": {"type": "object", "required": ["items", "total"], "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
            "total": {"type": "integer"}
        }}
    }}});
    let schema = json!({"$ref": "#/components/schemas/Page"});
    let check = |v: Value| {
        let mut p = Vec::new();
        conforms(&doc, &schema, &v, "$", &mut p);
        p
    };
    assert!(check(json!({"items": [{"id": 1, "state": null}], "total": 1})).is_empty());
    let p = check(json!({"items": [{"id": "1"}, {"state": "on"}, {"id": 2, "state": "x"}]}));
    assert_eq!(p.len(), 4, "{p:?}");
    assert!(p[0].contains("\"total\" is missing"), "{p:?}");
    assert!(
        p.iter().any(|m| m.starts_with("$.items[0].id: expected")),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|m| m.contains("$.items[1]") && m.contains("\"id\"")),
        "{p:?}"
    );
    assert!(p.iter().any(|m| m.starts_with("$.items[2].state")), "{p:?}");
}

// ---- calling every operation ----

/// Every (path, method) of the document.
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for m in METHODS {
            if item.get(*m).is_some_and(Value::is_object) {
                ops.push((path.clone(), m.to_string()));
            }
        }
    }
    ops
}

/// Resolves a local `$ref` (`#/components/...`), repeatedly.
fn resolve<'a>(doc: &'a Value, mut v: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let Some(r) = v.get("$ref").and_then(Value::as_str) else {
            return v;
        };
        let pointer = r
            .strip_prefix('#')
            .unwrap_or_else(|| panic!("only local references are expected: {r}"));
        v = doc
            .pointer(pointer)
            .unwrap_or_else(|| panic!("{r} does not resolve"));
    }
    panic!("a reference loop");
}

/// The seeded world: an account (a customer) with a server, an alias user holding a role
/// and assigned the server, a spare role that nothing holds (so that it can be deleted),
/// and a key of the account owner with all its rights.
struct World {
    owner: i32,
    sid: i32,
    aid: i32,
    rid: i32,
    held: i32,
    key: String,
}

fn seed(app: &TestApp) -> World {
    let t = tenants(app);
    let owner = t.acme;
    let sid = app.server("contract1.acme.test").owned_by(owner).create();
    let _other = app.server("contract2.acme.test").owned_by(owner).create();
    let held = app
        .role(owner, "Contract held")
        .perms(&["servers.view", "servers.power"])
        .create();
    let rid = app
        .role(owner, "Contract spare")
        .perms(&["servers.view"])
        .create();
    let aid = app.alias("contract-alias", owner).role(held).create();
    app.assign(aid, sid);
    World {
        owner,
        sid,
        aid,
        rid,
        held,
        key: app.api_key(owner, None),
    }
}

impl World {
    /// A path with its parameters filled in from the world.
    fn fill(&self, path: &str) -> String {
        let mut out = path.to_string();
        for (name, value) in [("sid", self.sid), ("aid", self.aid), ("rid", self.rid)] {
            out = out.replace(&format!("{{{name}}}"), &value.to_string());
        }
        if let Some(i) = out.find('{') {
            panic!(
                "{path}: no value for the path parameter {}; add it to World::fill in \
                 tests/api/openapi_contract.rs",
                &out[i..]
            );
        }
        out
    }

    /// Ids in a request body pointed at the world: the documented examples name ids of
    /// some other installation.
    fn retarget(&self, v: &mut Value) {
        match v {
            Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match k.as_str() {
                        "role_id" => *x = json!(self.held),
                        "server_id" => *x = json!(self.sid),
                        "server_ids" => *x = json!([self.sid]),
                        "alias_id" | "alias_user_id" => *x = json!(self.aid),
                        _ => self.retarget(x),
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| self.retarget(x)),
            _ => {}
        }
    }
}

/// The operation's documented request example: the media type's `example`, its first
/// `examples` entry, or the schema's `example` / first `examples` entry.
fn example_of(doc: &Value, media: &Value) -> Option<Value> {
    if let Some(e) = media.get("example") {
        return Some(e.clone());
    }
    if let Some(e) = media
        .get("examples")
        .and_then(Value::as_object)
        .and_then(|m| m.values().next())
    {
        return Some(resolve(doc, e).get("value").cloned().unwrap_or(Value::Null));
    }
    let schema = resolve(doc, media.get("schema")?);
    schema.get("example").cloned().or_else(|| {
        schema
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .cloned()
    })
}

/// A value for a schema made of its required properties only (for bodies without an
/// example; the test fails for those anyway, this only lets the call go ahead).
fn minimal(doc: &Value, schema: &Value, name: &str) -> Value {
    let schema = resolve(doc, schema);
    if let Some(e) = schema.get("enum").and_then(|e| e.get(0)) {
        return e.clone();
    }
    if let Some(first) = ["oneOf", "anyOf", "allOf"]
        .iter()
        .find_map(|k| schema.get(*k).and_then(|a| a.get(0)))
    {
        return minimal(doc, first, name);
    }
    let ty = match &schema["type"] {
        Value::Array(types) => types
            .iter()
            .find(|t| *t != "null")
            .and_then(Value::as_str)
            .unwrap_or("null"),
        t => t.as_str().unwrap_or("object"),
    };
    match ty {
        "object" => {
            let mut out = Map::new();
            for r in schema["required"].as_array().into_iter().flatten() {
                let key = r.as_str().unwrap();
                let sub = schema["properties"].get(key).unwrap_or(&Value::Null);
                out.insert(key.to_string(), minimal(doc, sub, key));
            }
            Value::Object(out)
        }
        "array" => json!([]),
        "boolean" => json!(false),
        "integer" | "number" => json!(1),
        "null" => Value::Null,
        _ => match name {
            "email" => json!("contract@example.com"),
            "password" => json!("a long passphrase"),
            _ => json!(format!("contract-{name}")),
        },
    }
}

/// Whether `v` is of JSON Schema type `ty`.
fn is_type(v: &Value, ty: &str) -> bool {
    match ty {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    }
}

/// Checks `v` against the documented schema: types, required properties, the properties
/// and items it lists (all the way down; extra properties are allowed). Problems are
/// pushed with their JSON path.
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(all) = schema.get("allOf").and_then(Value::as_array) {
        for s in all {
            conforms(doc, s, v, at, problems);
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            let fits = alts.iter().any(|s| {
                let mut p = Vec::new();
                conforms(doc, s, v, at, &mut p);
                p.is_empty()
            });
            if !fits {
                problems.push(format!("{at}: matches none of {key} ({v:.80})"));
            }
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| is_type(v, t)) {
        problems.push(format!("{at}: expected {types:?}, got {v:.80}"));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(v) {
            problems.push(format!("{at}: {v} is not one of {allowed:?}"));
        }
    }
    if let Value::Object(m) = v {
        for r in schema["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap();
            if !m.contains_key(r) {
                problems.push(format!("{at}: the required property {r:?} is missing"));
            }
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (k, s) in props {
                if let Some(x) = m.get(k) {
                    conforms(doc, s, x, &format!("{at}.{k}"), problems);
                }
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (v, schema.get("items")) {
        for (i, x) in items.iter().enumerate() {
            conforms(doc, s, x, &format!("{at}[{i}]"), problems);
        }
    }
}

struct Answer {
    status: u16,
    content_type: String,
    text: String,
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> Answer {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = client.request(method, format!("{}{path}", app.address));
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.unwrap();
    Answer {
        status: res.status().as_u16(),
        content_type: res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string(),
        text: res.text().await.unwrap(),
    }
}

/// The answer's status is one the operation documents, and its body has the documented
/// shape. Problems are returned, each naming the operation.
fn documented(doc: &Value, op: &Value, label: &str, a: &Answer) -> Vec<String> {
    let responses = op["responses"].as_object().expect("responses");
    let class = format!("{}XX", a.status / 100);
    let Some(entry) = responses
        .get(&a.status.to_string())
        .or_else(|| responses.get(&class))
        .or_else(|| responses.get("default"))
    else {
        return vec![format!(
            "{label}: answered {} ({:.200}), which the document does not list (it lists {:?})",
            a.status,
            a.text,
            responses.keys().collect::<Vec<_>>()
        )];
    };
    let entry = resolve(doc, entry);
    let Some(media) = entry.get("content").and_then(|c| c.get("application/json")) else {
        if a.status == 204 && !a.text.is_empty() {
            return vec![format!("{label}: 204 with a body: {:.200}", a.text)];
        }
        return vec![];
    };
    if !a.content_type.starts_with("application/json") {
        return vec![format!(
            "{label}: documented as JSON, answered {}: {:.200}",
            a.content_type, a.text
        )];
    }
    let Ok(body) = serde_json::from_str::<Value>(&a.text) else {
        return vec![format!("{label}: not JSON: {:.200}", a.text)];
    };
    let mut problems = Vec::new();
    if let Some(schema) = media.get("schema") {
        conforms(doc, schema, &body, "$", &mut problems);
    }
    problems
        .into_iter()
        .map(|p| format!("{label} -> {}: {p}", a.status))
        .collect()
}

/// Whether the operation needs a key: its own `security` (or the document's) lists a
/// requirement and none of them is the empty "no key" one.
fn needs_key(doc: &Value, op: &Value) -> bool {
    let reqs = op
        .get("security")
        .or_else(|| doc.get("security"))
        .and_then(Value::as_array);
    reqs.is_some_and(|r| {
        !r.is_empty()
            && r.iter()
                .all(|x| x.as_object().is_some_and(|m| !m.is_empty()))
    })
}

/// Query string of the operation's required query parameters (optional ones are left
/// out: the call must work without them).
fn query(doc: &Value, op: &Value) -> String {
    let mut parts = Vec::new();
    for p in op["parameters"].as_array().into_iter().flatten() {
        let p = resolve(doc, p);
        if p["in"] == "query" && p["required"] == true {
            let name = p["name"].as_str().unwrap();
            let v = p
                .get("example")
                .cloned()
                .unwrap_or_else(|| minimal(doc, &p["schema"], name));
            let v = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            parts.push(format!("{name}={v}"));
        }
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("?{}", parts.join("&"))
    }
}

/// Reads first, then changes, deletions last (deepest path first), so that every call
/// still finds the world's ids.
fn play_order(method: &str, path: &str) -> (u8, std::cmp::Reverse<usize>, String) {
    let rank = match method {
        "get" | "head" | "options" => 0,
        "post" => 1,
        "put" | "patch" => 2,
        "delete" => 3,
        _ => 4,
    };
    let depth = if rank == 3 { path.len() } else { 0 };
    (rank, std::cmp::Reverse(depth), path.to_string())
}

async fn every_documented_operation_answers_as_documented_with_and_without_a_key(app: TestApp) {
    let doc = document(&app).await;
    let w = seed(&app);
    let mut ops = operations(&doc);
    assert!(ops.len() >= 10, "the document lists the API: {ops:?}");
    ops.sort_by_key(|(p, m)| play_order(m, p));

    let mut problems: Vec<String> = Vec::new();
    let mut without_example: Vec<String> = Vec::new();
    let mut bodies: BTreeMap<String, Value> = BTreeMap::new();
    for (path, method) in &ops {
        let op = &doc["paths"][path][method];
        let label = format!("{} {path}", method.to_uppercase());
        if let Some(rb) = op.get("requestBody") {
            let rb = resolve(&doc, rb);
            let media = rb["content"]
                .get("application/json")
                .unwrap_or_else(|| panic!("{label}: the API reads JSON bodies: {rb}"));
            let mut body = match example_of(&doc, media) {
                Some(e) => e,
                None => {
                    without_example.push(label.clone());
                    minimal(&doc, media.get("schema").unwrap_or(&json!({})), "body")
                }
            };
            w.retarget(&mut body);
            bodies.insert(label, body);
        }
    }

    // Without a key: 401 (documented, JSON, shaped) for every operation that declares
    // security, and nothing written; the others answer anyone.
    let before = snapshot(&app);
    for (path, method) in &ops {
        let op = &doc["paths"][path][method];
        let label = format!("{} {path}", method.to_uppercase());
        let url = format!("{}{}", w.fill(path), query(&doc, op));
        let a = call(&app, method, &url, None, bodies.get(&label)).await;
        if needs_key(&doc, op) {
            if a.status != 401 {
                problems.push(format!(
                    "{label} without a key: {} {:.200}",
                    a.status, a.text
                ));
            }
        } else if !(200..300).contains(&a.status) {
            problems.push(format!(
                "{label} declares no security but refused a key-less call: {} {:.200}",
                a.status, a.text
            ));
        }
        problems.extend(documented(&doc, op, &format!("{label} (no key)"), &a));
    }
    let after = snapshot(&app);
    if before != after {
        problems.push(format!(
            "key-less calls changed the database: {}",
            before.describe_change(&after)
        ));
    }

    // With the owner's full-rights key: a success, documented and shaped; a read changes
    // nothing, a change is audited.
    let mut seen = Vec::new();
    for (path, method) in &ops {
        let op = &doc["paths"][path][method];
        let label = format!("{} {path}", method.to_uppercase());
        let url = format!("{}{}", w.fill(path), query(&doc, op));
        let audit_before = crate::no_escalation::attacker::fixtures::count(&app, "FROM audit_log");
        let before = snapshot(&app);
        let a = call(&app, method, &url, Some(&w.key), bodies.get(&label)).await;
        let after = snapshot(&app);
        seen.push(format!("{label} -> {}", a.status));
        if !(200..300).contains(&a.status) {
            problems.push(format!(
                "{label} with the account owner's full-rights key and {}: {} {:.300}; the \
                 documented example must succeed in a plain account",
                bodies
                    .get(&label)
                    .map_or("no body".to_string(), |b| format!("the body {b}")),
                a.status,
                a.text
            ));
        }
        problems.extend(documented(&doc, op, &label, &a));
        let wrote =
            crate::no_escalation::attacker::fixtures::count(&app, "FROM audit_log") > audit_before;
        let read = matches!(method.as_str(), "get" | "head" | "options");
        if read && before != after {
            problems.push(format!(
                "{label} is a read but changed the database: {}",
                before.describe_change(&after)
            ));
        } else if !read && (200..300).contains(&a.status) && (before == after || !wrote) {
            problems.push(format!(
                "{label} answered {} but {}",
                a.status,
                if before == after {
                    "changed nothing".to_string()
                } else {
                    format!("wrote no audit row ({})", before.describe_change(&after))
                }
            ));
        }
    }
    eprintln!("owner {} called: {seen:#?}", w.owner);
    if !without_example.is_empty() {
        problems.push(format!(
            "request bodies without an example in the OpenAPI document (add \
             `#[schema(example = ...)]` to the body type or `request_body(..., example = ...)`): \
             {without_example:?}"
        ));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A script author reads the document's examples before any call: every JSON answer an
/// operation documents (successes and errors) carries one, and it has the shape the
/// document gives that answer, so an example cannot drift from its type.
async fn every_documented_json_answer_has_an_example_of_its_own_shape(app: TestApp) {
    let doc = document(&app).await;
    let mut problems = Vec::new();
    let mut checked = 0;
    for (path, method) in operations(&doc) {
        let op = &doc["paths"][&path][&method];
        for (status, entry) in op["responses"].as_object().expect("responses") {
            let entry = resolve(&doc, entry);
            let Some(media) = entry.get("content").and_then(|c| c.get("application/json")) else {
                continue;
            };
            let label = format!("{} {path} {status}", method.to_uppercase());
            // The document itself (GET /api/v1/openapi.json) has no schema to follow.
            let Some(schema) = media.get("schema") else {
                continue;
            };
            checked += 1;
            match example_of(&doc, media) {
                None => problems.push(format!("{label}: no example")),
                Some(example) => conforms(&doc, schema, &example, &label, &mut problems),
            }
        }
    }
    assert!(checked >= 30, "only {checked} JSON answers documented");
    assert!(
        problems.is_empty(),
        "documented answers without a fitting example: {problems:#?}"
    );
}
