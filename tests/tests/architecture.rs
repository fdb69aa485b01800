//! ARCHITECTURE.md tells the truth: its crate graph is the one `cargo
//! metadata` reports, no package but `tests` depends on another context's
//! server, every tool of its index is in the file it names with the scope
//! it publishes, and the index lists exactly the tools the servers publish
//! (one snapshot each).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use promptsales_tests::workspace_root;

const SERVERS: &[&str] = &[
    "mcp-content",
    "mcp-ads",
    "mcp-crm",
    "mcp-analytics",
    "orchestrator",
];

fn architecture() -> String {
    std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap()
}

/// Workspace packages and their workspace path dependencies (normal ones).
fn cargo_graph() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(workspace_root())
        .output()
        .unwrap();
    assert!(out.status.success());
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d.get("path").is_some() && d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_owned())
                .collect();
            (p["name"].as_str().unwrap().to_owned(), deps)
        })
        .collect()
}

#[test]
fn the_crate_graph_in_architecture_md_is_cargos() {
    let doc = architecture();
    let block = doc
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a ```text block with the crate graph");
    let documented: BTreeMap<String, BTreeSet<String>> = block
        .lines()
        .filter_map(|l| l.split_once("->"))
        .map(|(pkg, deps)| {
            let deps = deps
                .split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty() && *d != "(none)")
                .map(str::to_owned)
                .collect();
            (pkg.trim().to_owned(), deps)
        })
        .collect();
    let mut actual = cargo_graph();
    actual.remove("promptsales-tests");
    assert_eq!(documented, actual, "ARCHITECTURE.md's crate graph is stale");
    for (pkg, deps) in &actual {
        for server in SERVERS {
            assert!(
                pkg == server || !deps.contains(*server),
                "{pkg} depends on the server package {server}: depend on its read crate"
            );
        }
    }
}

#[test]
fn the_tool_index_names_every_published_tool_and_its_file() {
    let doc = architecture();
    let mut indexed = BTreeSet::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `tool` | server | `scope` | `file` | use case |
        let (Some(tool), Some(server), Some(file)) = (cells.get(1), cells.get(2), cells.get(4))
        else {
            continue;
        };
        let (Some(tool), Some(file)) = (tool.strip_prefix('`'), file.strip_prefix('`')) else {
            continue;
        };
        let tool = tool.trim_end_matches('`');
        let file = file.trim_end_matches('`');
        if !file.ends_with(".rs") {
            continue;
        }
        let source = std::fs::read_to_string(workspace_root().join(file))
            .unwrap_or_else(|e| panic!("{tool}: {file}: {e}"));
        // A tool is an `async fn` of a `#[tool_router]` block, or a route
        // the server kit builds by name (`audit_query`).
        assert!(
            source.contains(&format!("async fn {tool}("))
                || source.contains(&format!("\"{tool}\"")),
            "{tool} is not in {file}"
        );
        let scope = cells
            .get(3)
            .map(|c| c.trim_matches('`'))
            .unwrap_or_default();
        let snapshot = workspace_root().join(format!(
            "tests/tests/snapshots/servers__{server}__tool__{tool}.snap"
        ));
        let published = std::fs::read_to_string(&snapshot).unwrap_or_default();
        assert!(
            published.contains(&format!("\"promptsales/scope\": \"{scope}\"")),
            "{server}.{tool}: ARCHITECTURE.md says scope {scope}, the server publishes otherwise"
        );
        indexed.insert(format!("{server}__{tool}"));
    }
    let snapshots = workspace_root().join("tests/tests/snapshots");
    let published: BTreeSet<String> = std::fs::read_dir(snapshots)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let rest = name.strip_prefix("servers__")?.strip_suffix(".snap")?;
            let (server, tool) = rest.split_once("__tool__")?;
            Some(format!("{server}__{tool}"))
        })
        .collect();
    assert!(!published.is_empty());
    assert_eq!(
        indexed, published,
        "ARCHITECTURE.md's tool index and the published tools differ"
    );
}
