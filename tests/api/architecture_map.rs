//! docs/ARCHITECTURE.md maps every route to the file of its handler. The map is checked
//! against the table the real route registration fills (src/routes/table.rs), so a route
//! added, moved or removed without its row fails here, and so does a row naming a file
//! that is not there. Needs no database: it only registers the routes on a throwaway app.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

const MAP: &str = "docs/ARCHITECTURE.md";
const SECTION: &str = "## Routes";

/// One row of the map: method, full path, handler file.
#[derive(Debug)]
struct MapRow {
    method: String,
    path: String,
    file: String,
}

/// The rows of the first Markdown table under `## Routes` (header and rule left out).
fn map_rows(text: &str) -> Vec<MapRow> {
    let section = text
        .split_once(&format!("\n{SECTION}\n"))
        .unwrap_or_else(|| panic!("{MAP} has no `{SECTION}` section"))
        .1;
    section
        .lines()
        .skip_while(|l| !l.trim_start().starts_with('|'))
        .take_while(|l| l.trim_start().starts_with('|'))
        .skip(2)
        .map(|line| {
            let cells: Vec<String> = line
                .trim()
                .trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            assert_eq!(cells.len(), 3, "a row of {MAP} has three cells: {line}");
            MapRow {
                method: cells[0].clone(),
                path: cells[1].clone(),
                file: cells[2].clone(),
            }
        })
        .collect()
}

#[test]
fn every_route_the_panel_serves_is_in_the_architecture_map_and_nothing_else() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join(MAP)).expect("docs/ARCHITECTURE.md reads");
    let rows = map_rows(&text);

    let served = crate::matrix::served_routes();

    let mut mapped: BTreeMap<(String, String), usize> = BTreeMap::new();
    for r in &rows {
        *mapped
            .entry((r.method.clone(), r.path.clone()))
            .or_default() += 1;
    }
    let mapped_set: BTreeSet<(String, String)> = mapped.keys().cloned().collect();
    let row = |(m, p): &(String, String)| format!("| {m} | {p} | ? |");
    let missing: Vec<String> = served.difference(&mapped_set).map(row).collect();
    let extra: Vec<String> = mapped_set.difference(&served).map(row).collect();
    let twice: Vec<String> = mapped
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(k, _)| row(k))
        .collect();
    let no_file: Vec<String> = rows
        .iter()
        .filter(|r| !r.file.starts_with("src/") || !root.join(&r.file).is_file())
        .map(|r| format!("| {} | {} | {} |", r.method, r.path, r.file))
        .collect();

    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!(
            "routes the panel serves that {MAP} does not list (add them under `{SECTION}`):\n{}",
            missing.join("\n")
        ));
    }
    if !extra.is_empty() {
        problems.push(format!(
            "rows of {MAP} the panel does not serve:\n{}",
            extra.join("\n")
        ));
    }
    if !twice.is_empty() {
        problems.push(format!("rows listed twice:\n{}", twice.join("\n")));
    }
    if !no_file.is_empty() {
        problems.push(format!(
            "rows whose handler file is not a file under src/:\n{}",
            no_file.join("\n")
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
