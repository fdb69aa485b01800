//! Least privilege and tenancy of `mcp-analytics`, through the real binary
//! over streamable HTTP (real signed tokens) and over stdio
//! (`PROMPTSALES_TENANT`, `PROMPTSALES_SCOPES`), on SQLite and on
//! PostgreSQL + Redis:
//! - two tenants in the same databases (tenant B seeded through the import
//!   writers with the same ids as A and its own names and amounts): A's
//!   server and tokens never see B's clients, products, rows, answers or
//!   cached answers, and a token for the other tenant is refused (403);
//! - the scope matrix: every tool without its scope is refused (403 before
//!   dispatch on a 2026-07-28 request, `isError` otherwise) and changes
//!   nothing; with it, it works; resources are checked, audited and served
//!   only with their toolset; `--read-only` lists `sync_status`, not `sync`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use orchestrator::dataset::Dataset;
use orchestrator::seed::{SeedSpec, generate};
use orchestrator::stores::Stores;
use promptsales_shared::db::Db;
use promptsales_shared::domain::{ClientId, TenantId};
use promptsales_tests::{Backend, Client, Era, HttpServer, call_tool, stdio_client_env, tokens};
use rmcp::model::ReadResourceRequestParams;
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-15";
const A: &str = "acme";
const B: &str = "globex";
/// Every analytics scope and a few others: a token "without" a tool's
/// scope holds all of these but that one.
const ALL_SCOPES: &[&str] = &[
    "analytics:read",
    "analytics:write",
    "analytics:admin",
    "admin",
    "crm:read",
    "ads:read",
    "content:read",
];
const NO_SYNC: &[&str] = &["--sync-interval-secs", "0"];

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn dataset_a() -> Dataset {
    generate(&SeedSpec {
        clients: 3,
        campaigns: 12,
        days: 90,
        seed: 11,
        as_of: d(AS_OF),
    })
    .unwrap()
}

/// Tenant B: the same ids as A (`cli_001`…), its own names, larger
/// amounts, plus a client A has no id for.
fn dataset_b() -> Dataset {
    let mut ds = generate(&SeedSpec {
        clients: 2,
        campaigns: 6,
        days: 60,
        seed: 77,
        as_of: d(AS_OF),
    })
    .unwrap();
    for c in &mut ds.clients {
        c.name = format!("Globex {}", c.name);
    }
    let mut only_b = ds.clients[0].clone();
    only_b.id = ClientId::parse("cli_909").unwrap();
    only_b.name = "Globex Only".into();
    ds.clients.push(only_b);
    for p in &mut ds.products {
        p.name = format!("Globex {}", p.name);
    }
    for c in &mut ds.campaigns {
        c.name = format!("Globex {}", c.name);
    }
    for s in &mut ds.sales {
        s.amount_cents = s.amount_cents * 7 + 13;
    }
    ds
}

/// Writes a tenant's rows through the import writers into the backend's
/// (shared) databases.
async fn seed(backend: &Backend, tenant: &str, ds: &Dataset) {
    let config = backend.common_args().resolve().unwrap();
    let mut stores = Stores::open(&config).await.unwrap();
    stores.tenant = TenantId::parse(tenant).unwrap();
    ds.write(&stores).await.unwrap();
}

async fn analytics_db(backend: &Backend) -> Db {
    let cfg = backend.common_args().resolve().unwrap();
    Db::open_unmigrated(&cfg.db, "analytics").await.unwrap()
}

async fn sync_runs(db: &Db) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM sync_runs")
        .fetch_one(db.pool())
        .await
        .unwrap()
}

/// Revenue per (client, currency) in cents, over all time.
fn revenue_by_client(ds: &Dataset) -> BTreeMap<(String, String), i64> {
    let mut m = BTreeMap::new();
    for s in &ds.sales {
        *m.entry((
            s.client_id.as_str().to_owned(),
            s.currency.as_str().to_owned(),
        ))
        .or_insert(0) += s.amount_cents;
    }
    m
}

fn column(result: &Value, name: &str) -> usize {
    result["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == name)
        .unwrap_or_else(|| panic!("no column {name} in {}", result["columns"]))
}

/// The answer's revenue per (client, currency) in cents, and the client
/// names it shows.
fn answered_revenue(result: &Value) -> (BTreeMap<(String, String), i64>, BTreeSet<String>) {
    let (c, n, cur, rev) = (
        column(result, "client"),
        column(result, "client_name"),
        column(result, "currency"),
        column(result, "revenue"),
    );
    let mut m = BTreeMap::new();
    let mut names = BTreeSet::new();
    for row in result["rows"].as_array().unwrap() {
        let cents = (row[rev].as_f64().unwrap() * 100.0).round() as i64;
        m.insert(
            (
                row[c].as_str().unwrap().to_owned(),
                row[cur].as_str().unwrap().to_owned(),
            ),
            cents,
        );
        if let Some(name) = row[n].as_str() {
            names.insert(name.to_owned());
        }
    }
    (m, names)
}

fn names(ds: &Dataset) -> BTreeSet<String> {
    ds.clients.iter().map(|c| c.name.clone()).collect()
}

/// Client names of `other` that no name of `own` contains (B's names are
/// A's with a prefix), so none may appear in `own`'s answers.
fn foreign_names(own: &Dataset, other: &Dataset) -> Vec<String> {
    let mine = names(own);
    names(other)
        .into_iter()
        .filter(|n| !mine.iter().any(|m| m.contains(n.as_str())))
        .collect()
}

fn client_ids(v: &Value) -> BTreeSet<String> {
    v["clients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}|{}",
                c["id"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn expected_clients(ds: &Dataset) -> BTreeSet<String> {
    ds.clients
        .iter()
        .map(|c| format!("{}|{}", c.id.as_str(), c.name))
        .collect()
}

fn product_ids(v: &Value) -> BTreeSet<String> {
    v["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}|{}",
                p["id"].as_str().unwrap(),
                p["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn expected_products(ds: &Dataset) -> BTreeSet<String> {
    ds.products
        .iter()
        .map(|p| format!("{}|{}", p.id.as_str(), p.name))
        .collect()
}

/// A 2026-07-28 `tools/call`, as the stateless HTTP transport sends it
/// (method and tool named in headers), with a bearer token.
async fn stateless_call(
    server: &HttpServer,
    token: &str,
    tool: &str,
    args: Value,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "tools/call")
        .header("mcp-name", tool)
        .bearer_auth(token)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                      "params": {"name": tool, "arguments": args}}))
        .send()
        .await
        .unwrap()
}

async fn initialize(server: &HttpServer, token: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(server.mcp_url())
        .header("accept", "application/json, text/event-stream")
        .bearer_auth(token)
        .json(
            &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "curl", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap()
}

async fn read_resource(client: &Client, uri: &str) -> Result<String, String> {
    client
        .read_resource(ReadResourceRequestParams::new(uri))
        .await
        .map(|r| format!("{r:?}"))
        .map_err(|e| e.to_string())
}

async fn list_resources(client: &Client) -> Vec<String> {
    client
        .list_all_resources()
        .await
        .unwrap()
        .iter()
        .map(|r| r.uri.to_string())
        .collect()
}

async fn list_tools(client: &Client) -> BTreeSet<String> {
    client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect()
}

/// What one tenant's server answers, checked against that tenant's data
/// only (and never showing anything of the other's).
async fn sees_only_its_own(client: &Client, own: &Dataset, other: &Dataset, label: &str) {
    let clients = call_tool(client, "list_clients", json!({})).await.unwrap();
    assert_eq!(client_ids(&clients), expected_clients(own), "{label}");
    let products = call_tool(client, "list_products", json!({})).await.unwrap();
    assert_eq!(product_ids(&products), expected_products(own), "{label}");
    // A client id only the other tenant has does not exist here.
    let foreign: Vec<&str> = other
        .clients
        .iter()
        .map(|c| c.id.as_str())
        .filter(|id| !own.clients.iter().any(|c| c.id.as_str() == *id))
        .collect();
    for id in foreign {
        let e = call_tool(client, "list_products", json!({"client_id": id}))
            .await
            .unwrap_err();
        assert!(e.contains("not found"), "{label}: {e}");
    }

    let leads = call_tool(
        client,
        "query_metrics",
        json!({"spec": {"metrics": ["leads", "sales_count"]}, "as_of": AS_OF}),
    )
    .await
    .unwrap();
    assert_eq!(
        leads["rows"][0][0].as_f64(),
        Some(own.leads.len() as f64),
        "{label}: {leads}"
    );
    assert_eq!(leads["rows"][0][1].as_f64(), Some(own.sales.len() as f64));

    let funnel = call_tool(client, "funnel", json!({"as_of": AS_OF}))
        .await
        .unwrap();
    let i = column(&funnel, "leads");
    assert_eq!(
        funnel["rows"][0][i].as_f64(),
        Some(own.leads.len() as f64),
        "{label}"
    );

    let report = call_tool(
        client,
        "report",
        json!({"time_range": {"type": "last_n_days", "days": 60}, "as_of": AS_OF}),
    )
    .await
    .unwrap();
    let md = report["markdown"].as_str().unwrap();
    for name in foreign_names(own, other) {
        assert!(!md.contains(name.as_str()), "{label}: report shows {name}");
    }

    let status = call_tool(client, "sync_status", json!({})).await.unwrap();
    assert!(status["data_version"].as_i64().unwrap() >= 1, "{label}");
}

/// `ask` the same question on both tenants' servers, the cache warm for
/// the other: each answer is its own tenant's, from its own cache entry.
async fn same_question(a: &Client, b: &Client, ds_a: &Dataset, ds_b: &Dataset, label: &str) {
    let q = json!({"question": "revenue by client", "as_of": AS_OF});
    let first_a = call_tool(a, "ask", q.clone()).await.unwrap();
    let again_a = call_tool(a, "ask", q.clone()).await.unwrap();
    assert_eq!(again_a["cached"], true, "{label}: A's cache is warm");
    let first_b = call_tool(b, "ask", q.clone()).await.unwrap();
    let again_b = call_tool(b, "ask", q.clone()).await.unwrap();
    assert_eq!(again_b["cached"], true, "{label}");
    let last_a = call_tool(a, "ask", q).await.unwrap();
    for (r, ds, other) in [
        (&first_a, ds_a, ds_b),
        (&again_a, ds_a, ds_b),
        (&last_a, ds_a, ds_b),
        (&first_b, ds_b, ds_a),
        (&again_b, ds_b, ds_a),
    ] {
        let (revenue, shown) = answered_revenue(r);
        assert_eq!(revenue, revenue_by_client(ds), "{label}: {}", r["answer"]);
        assert!(shown.is_subset(&names(ds)), "{label}: names {shown:?}");
        let answer = r["answer"].as_str().unwrap();
        for name in foreign_names(ds, other) {
            assert!(!answer.contains(name.as_str()), "{label}: {answer}");
        }
    }
    // A typed query too: the same spec, cached per tenant.
    let spec = json!({"spec": {"metrics": ["revenue"], "dimensions": ["client"]}, "as_of": AS_OF});
    for _ in 0..2 {
        for (client, ds) in [(a, ds_a), (b, ds_b)] {
            let r = call_tool(client, "query_metrics", spec.clone())
                .await
                .unwrap();
            assert_eq!(answered_revenue(&r).0, revenue_by_client(ds), "{label}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_never_sees_another_tenants_data_over_http_and_stdio() {
    let (ds_a, ds_b) = (dataset_a(), dataset_b());
    assert_ne!(revenue_by_client(&ds_a), revenue_by_client(&ds_b));
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, A, &ds_a).await;
        seed(&backend, B, &ds_b).await;
        let wh = analytics_db(&backend).await;

        let mut env_a = tokens::env();
        env_a.push(("PROMPTSALES_TENANT", A));
        let mut env_b = tokens::env();
        env_b.push(("PROMPTSALES_TENANT", B));
        let srv_a = HttpServer::start_env("mcp-analytics", &backend, NO_SYNC, &env_a).await;
        let srv_b = HttpServer::start_env("mcp-analytics", &backend, NO_SYNC, &env_b).await;
        let rw = ["analytics:read", "analytics:write"];
        let token_a = tokens::mint("ana@acme.example", A, &rw);
        let token_b = tokens::mint("gus@globex.example", B, &rw);

        // A token for the other tenant is refused on both eras' paths.
        let every = tokens::mint("gus@globex.example", B, ALL_SCOPES);
        assert_eq!(initialize(&srv_a, &every).await.status(), 403, "{label}");
        let r = stateless_call(&srv_a, &every, "list_clients", json!({})).await;
        assert_eq!(r.status(), 403, "{label}");
        assert_eq!(initialize(&srv_b, &token_a).await.status(), 403, "{label}");

        let a = srv_a.client_with_token(Era::Stateless, &token_a).await;
        let b = srv_b.client_with_token(Era::Initialize, &token_b).await;
        // Each sync reads only its tenant's source rows.
        for (client, ds) in [(&a, &ds_a), (&b, &ds_b)] {
            let r = call_tool(client, "sync", json!({})).await.unwrap();
            assert_eq!(r["changed"], true, "{label}");
            let read: BTreeMap<String, u64> = r["tables"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["table"].as_str().unwrap().to_owned(),
                        t["rows_read"].as_u64().unwrap(),
                    )
                })
                .collect();
            assert_eq!(
                read["clients"],
                ds.clients.len() as u64,
                "{label}: {read:?}"
            );
            assert_eq!(read["leads"], ds.leads.len() as u64, "{label}: {read:?}");
            assert_eq!(read["sales"], ds.sales.len() as u64, "{label}: {read:?}");
        }
        let runs: Vec<(String, i64)> = sqlx::query_as(
            "SELECT tenant_id, COUNT(*) FROM sync_runs GROUP BY tenant_id ORDER BY tenant_id",
        )
        .fetch_all(wh.pool())
        .await
        .unwrap();
        assert_eq!(
            runs.iter().map(|(t, _)| t.as_str()).collect::<Vec<_>>(),
            [A, B],
            "{label}"
        );

        sees_only_its_own(&a, &ds_a, &ds_b, &format!("{label} http A")).await;
        sees_only_its_own(&b, &ds_b, &ds_a, &format!("{label} http B")).await;
        same_question(&a, &b, &ds_a, &ds_b, &format!("{label} http")).await;

        // A's administrator reads A's audit log only.
        let admin = tokens::mint("root@acme.example", A, &["admin"]);
        let root = srv_a.client_with_token(Era::Stateless, &admin).await;
        let audit = call_tool(&root, "audit_query", json!({"limit": 1000}))
            .await
            .unwrap();
        let actors: BTreeSet<&str> = audit["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["actor"].as_str().unwrap())
            .collect();
        assert!(actors.contains("ana@acme.example"), "{label}: {actors:?}");
        assert!(
            !actors.contains("gus@globex.example"),
            "{label}: {actors:?}"
        );
        for c in [a, b, root] {
            c.cancel().await.unwrap();
        }
        assert!(srv_a.terminate().await.success());
        assert!(srv_b.terminate().await.success());

        // Over stdio the tenant is the process's.
        let a = stdio_client_env(
            "mcp-analytics",
            &backend,
            &[],
            &[("PROMPTSALES_TENANT", A)],
            Era::Initialize,
        )
        .await;
        let b = stdio_client_env(
            "mcp-analytics",
            &backend,
            &[],
            &[("PROMPTSALES_TENANT", B)],
            Era::Stateless,
        )
        .await;
        for c in [&a, &b] {
            let r = call_tool(c, "sync", json!({})).await.unwrap();
            assert_eq!(r["changed"], false, "{label}: nothing new");
        }
        sees_only_its_own(&a, &ds_a, &ds_b, &format!("{label} stdio A")).await;
        sees_only_its_own(&b, &ds_b, &ds_a, &format!("{label} stdio B")).await;
        same_question(&a, &b, &ds_a, &ds_b, &format!("{label} stdio")).await;
        let fresh = read_resource(&a, "analytics://freshness").await.unwrap();
        assert!(!fresh.contains(B), "{label}");
        a.cancel().await.unwrap();
        b.cancel().await.unwrap();
        wh.close().await;
    }
}

/// Arguments that make each tool succeed on a seeded, synced warehouse.
fn tools() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        (
            "ask",
            "analytics:read",
            json!({"question": "leads by channel last month", "as_of": AS_OF}),
        ),
        (
            "query_metrics",
            "analytics:read",
            json!({"spec": {"metrics": ["leads"]}, "as_of": AS_OF}),
        ),
        ("describe_metrics", "analytics:read", json!({})),
        ("funnel", "analytics:read", json!({"as_of": AS_OF})),
        ("report", "analytics:read", json!({"as_of": AS_OF})),
        ("list_clients", "analytics:read", json!({})),
        ("list_products", "analytics:read", json!({})),
        ("sync_status", "analytics:read", json!({})),
        ("sync", "analytics:write", json!({})),
        ("refresh_fx_rates", "analytics:write", json!({})),
        ("usage", "analytics:read", json!({"client_id": "cli_001"})),
        ("audit_query", "admin", json!({})),
    ]
}

fn without(scope: &str) -> Vec<&'static str> {
    ALL_SCOPES.iter().copied().filter(|s| *s != scope).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tool_needs_its_scope_and_refusals_change_nothing() {
    let ds = dataset_a();
    for backend in Backend::all() {
        let label = backend.label;
        seed(&backend, A, &ds).await;
        let wh = analytics_db(&backend).await;
        let mut env = tokens::env();
        env.push(("PROMPTSALES_TENANT", A));
        let srv = HttpServer::start_env("mcp-analytics", &backend, NO_SYNC, &env).await;

        // Every tool's declared scope is what its listing says.
        let all = tokens::mint("ana", A, ALL_SCOPES);
        let c = srv.client_with_token(Era::Stateless, &all).await;
        call_tool(&c, "sync", json!({})).await.unwrap();
        let listed = c.list_all_tools().await.unwrap();
        let table = tools();
        assert_eq!(listed.len(), table.len(), "{label}");
        for t in &listed {
            let (_, scope, _) = table.iter().find(|(n, _, _)| *n == t.name).unwrap();
            let meta = t.meta.as_ref().unwrap();
            assert_eq!(meta.0["promptsales/scope"], *scope, "{}", t.name);
        }
        c.cancel().await.unwrap();

        for (tool, scope, args) in table {
            let lacking = tokens::mint("eve", A, &without(scope));
            let before = sync_runs(&wh).await;
            // 2026-07-28: refused by the gate before dispatch.
            let r = stateless_call(&srv, &lacking, tool, args.clone()).await;
            assert_eq!(r.status(), 403, "{label}: {tool}");
            let challenge = r.headers()["www-authenticate"].to_str().unwrap().to_owned();
            assert!(
                challenge.contains("insufficient_scope")
                    && challenge.contains(&format!("scope=\"{scope}\"")),
                "{tool}: {challenge}"
            );
            // An `initialize`-era session: refused by the audited call.
            let old = srv.client_with_token(Era::Initialize, &lacking).await;
            let e = call_tool(&old, tool, args.clone()).await.unwrap_err();
            assert!(
                e.contains("permission denied") && e.contains(scope) && e.contains("eve"),
                "{label}: {tool}: {e}"
            );
            old.cancel().await.unwrap();
            assert_eq!(
                sync_runs(&wh).await,
                before,
                "{label}: refused {tool} ran a sync"
            );

            // Exactly its scope suffices, in both eras.
            let only = tokens::mint("ana", A, &[scope]);
            for era in Era::ALL {
                let ok = srv.client_with_token(era, &only).await;
                let r = call_tool(&ok, tool, args.clone()).await;
                assert!(r.is_ok(), "{label}: {tool} with {scope} ({era:?}): {r:?}");
                ok.cancel().await.unwrap();
            }
            if tool == "sync" {
                assert!(sync_runs(&wh).await > before, "{label}: sync ran");
            }
        }

        // Resources need `analytics:read` too, and every read is audited.
        let writer = srv
            .client_with_token(
                Era::Initialize,
                &tokens::mint("wes", A, &["analytics:write"]),
            )
            .await;
        let e = read_resource(&writer, "analytics://freshness")
            .await
            .unwrap_err();
        assert!(e.contains("analytics:read"), "{label}: {e}");
        writer.cancel().await.unwrap();
        let reader = srv
            .client_with_token(
                Era::Initialize,
                &tokens::mint("rita", A, &["analytics:read"]),
            )
            .await;
        let body = read_resource(&reader, "analytics://freshness")
            .await
            .unwrap();
        assert!(body.contains("data_version"), "{label}");
        assert!(
            read_resource(&reader, "analytics://semantic-model")
                .await
                .is_ok()
        );
        reader.cancel().await.unwrap();
        assert!(srv.terminate().await.success());
        let audited: Vec<(String, String)> = sqlx::query_as(
            "SELECT actor, outcome FROM audit_log WHERE tool = $1 AND tenant_id = $2 ORDER BY id",
        )
        .bind("resource:analytics://freshness")
        .bind(A)
        .fetch_all(wh.pool())
        .await
        .unwrap();
        assert_eq!(
            audited,
            [
                ("wes".to_owned(), "protocol_error".to_owned()),
                ("rita".to_owned(), "ok".to_owned())
            ],
            "{label}"
        );

        // Over stdio the local actor's scopes decide.
        let stdio = |scopes: &'static str, args: &'static [&'static str]| {
            let backend = &backend;
            async move {
                let mut env = vec![
                    ("PROMPTSALES_TENANT", A),
                    ("PROMPTSALES_ACTOR", "local-ana"),
                ];
                if !scopes.is_empty() {
                    env.push(("PROMPTSALES_SCOPES", scopes));
                }
                stdio_client_env("mcp-analytics", backend, args, &env, Era::Initialize).await
            }
        };
        let write_only = stdio("analytics:write", &[]).await;
        let read_admin = stdio("analytics:read,admin", &[]).await;
        let default = stdio("", &[]).await;
        for (tool, scope, args) in tools() {
            let before = sync_runs(&wh).await;
            let (lacks, has) = match scope {
                "analytics:read" => (&write_only, &read_admin),
                "analytics:write" => (&read_admin, &write_only),
                _ => (&default, &read_admin),
            };
            let e = call_tool(lacks, tool, args.clone()).await.unwrap_err();
            assert!(
                e.contains("permission denied") && e.contains(scope) && e.contains("local-ana"),
                "{label} stdio: {tool}: {e}"
            );
            assert_eq!(sync_runs(&wh).await, before, "{label}: refused {tool}");
            let r = call_tool(has, tool, args).await;
            assert!(r.is_ok(), "{label} stdio: {tool}: {r:?}");
        }
        let e = read_resource(&write_only, "analytics://semantic-model")
            .await
            .unwrap_err();
        assert!(e.contains("analytics:read"), "{label}: {e}");
        for c in [write_only, read_admin, default] {
            c.cancel().await.unwrap();
        }

        // `--read-only` keeps the reads (sync_status), not sync or the
        // admin's audit; resources come with their toolsets only.
        let ro = stdio("", &["--read-only"]).await;
        let names = list_tools(&ro).await;
        assert!(
            names.contains("sync_status") && names.contains("ask"),
            "{names:?}"
        );
        assert!(
            !names.contains("sync") && !names.contains("audit_query"),
            "{names:?}"
        );
        assert_eq!(list_resources(&ro).await.len(), 2);
        ro.cancel().await.unwrap();
        let catalog = stdio("", &["--toolsets", "catalog"]).await;
        assert!(list_resources(&catalog).await.is_empty(), "{label}");
        assert!(
            read_resource(&catalog, "analytics://freshness")
                .await
                .is_err()
        );
        catalog.cancel().await.unwrap();
        let pipeline = stdio("", &["--toolsets", "pipeline"]).await;
        assert_eq!(list_resources(&pipeline).await, ["analytics://freshness"]);
        assert!(
            read_resource(&pipeline, "analytics://semantic-model")
                .await
                .is_err()
        );
        pipeline.cancel().await.unwrap();
        wh.close().await;
    }
}
