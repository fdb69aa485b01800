//! Bounded contexts as deployment units: each server migrates only the
//! context it owns and checks the schema versions of what it reads;
//! `promptsales migrate` migrates them all (what a Kubernetes Job runs) and
//! servers then start with migrations off; an older binary keeps working
//! against a schema migrated further; a context can live in its own
//! database; the SQLite and PostgreSQL migration trees stay in step.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use promptsales_shared::db::{Backend as Engine, Db, Migrations};
use promptsales_tests::{Backend, Era, SERVERS, call_tool, command, stdio_client_env};
use serde_json::json;

/// Every context's migrations, in the order `promptsales migrate` runs them.
fn contexts() -> [&'static Migrations; 6] {
    [
        &promptsales_catalog::MIGRATIONS,
        &content_read::MIGRATIONS,
        &ads_read::MIGRATIONS,
        &crm_read::MIGRATIONS,
        &analytics_read::MIGRATIONS,
        &orchestrator::MIGRATIONS,
    ]
}

#[test]
fn sqlite_and_postgres_migration_trees_are_in_step() {
    for m in contexts() {
        let sqlite = m.versions(Engine::Sqlite);
        let postgres = m.versions(Engine::Postgres);
        assert!(!sqlite.is_empty(), "{}: no migrations", m.context);
        assert_eq!(
            sqlite, postgres,
            "{}: the SQLite and PostgreSQL migrations differ (same versions and names expected)",
            m.context
        );
        let versions: Vec<i64> = sqlite.iter().map(|(v, _)| *v).collect();
        let expected: Vec<i64> = (1..=versions.len() as i64).collect();
        assert_eq!(
            versions, expected,
            "{}: versions must run 1, 2, 3…",
            m.context
        );
    }
}

#[test]
fn every_context_audits_into_its_own_database() {
    // The owner of each server-facing context ships an `audit_log` table.
    for m in [
        &content_read::MIGRATIONS,
        &ads_read::MIGRATIONS,
        &crm_read::MIGRATIONS,
        &analytics_read::MIGRATIONS,
        &orchestrator::MIGRATIONS,
    ] {
        assert!(
            m.versions(Engine::Sqlite)
                .iter()
                .any(|(_, d)| d.contains("audit log")),
            "{} has no audit_log migration",
            m.context
        );
    }
}

/// The agency's client the tests' leads and segments belong to.
async fn add_client(backend: &Backend) {
    let cfg = backend.common_args().resolve().unwrap();
    let core = Db::open_unmigrated(&cfg.db, "core").await.unwrap();
    let client = promptsales_catalog::Client {
        id: promptsales_shared::domain::ClientId::parse("cli_001").unwrap(),
        name: "Café Andino".into(),
        industry: "coffee".into(),
        country: promptsales_shared::domain::Country::parse("CO").unwrap(),
        time_zone: promptsales_shared::domain::TimeZone::of_country(
            promptsales_shared::domain::Country::parse("CO").unwrap(),
        ),
    };
    promptsales_catalog::CatalogWriter::new(core.clone())
        .upsert_client(&cfg.tenant, &client)
        .await
        .unwrap();
    core.close().await;
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

async fn migrate(backend: &Backend) -> String {
    let out = command("promptsales", backend)
        .arg("migrate")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "promptsales migrate on {}: {}",
        backend.label,
        stderr_of(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A read-only tool of each server that answers on an empty database.
fn probe(server: &str) -> (&'static str, serde_json::Value) {
    match server {
        "mcp-ads" => ("list_campaigns", json!({ "limit": 5 })),
        "mcp-crm" => ("search_leads", json!({ "limit": 5 })),
        "mcp-content" => ("list_assets", json!({ "limit": 5 })),
        "mcp-analytics" => ("sync_status", json!({})),
        other => panic!("unknown server {other}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_then_every_server_starts_with_migrations_off() {
    for backend in Backend::all_unmigrated() {
        // Before the Job ran, a server that may not migrate says what to run.
        let out = command("mcp-crm", &backend)
            .env("PROMPTSALES_MIGRATE", "off")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        assert!(!out.status.success(), "{}", backend.label);
        let err = stderr_of(&out);
        assert!(
            err.contains("crm") && err.contains("promptsales migrate"),
            "{}: {err}",
            backend.label
        );

        let report = migrate(&backend).await;
        for ctx in ["core", "content", "ads", "crm", "analytics", "orchestrator"] {
            assert!(report.contains(ctx), "{}: {report}", backend.label);
        }
        // Idempotent: a second run changes nothing and succeeds.
        migrate(&backend).await;

        for server in SERVERS {
            let client = stdio_client_env(
                server,
                &backend,
                &[],
                &[("PROMPTSALES_MIGRATE", "off")],
                Era::Stateless,
            )
            .await;
            let (tool, args) = probe(server);
            call_tool(&client, tool, args)
                .await
                .unwrap_or_else(|e| panic!("{server}.{tool} on {}: {e}", backend.label));
            client.cancel().await.unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_refuses_a_context_nobody_migrated() {
    let backend = Backend::sqlite_unmigrated();
    // Nothing is migrated: mcp-ads migrates ads, but reads the catalog, crm
    // and content, which it does not own.
    let out = command("mcp-ads", &backend)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = stderr_of(&out);
    assert!(
        ["core", "crm", "content"].iter().any(|c| err.contains(c))
            && err.contains("promptsales migrate"),
        "{err}"
    );
}

/// Pretends a newer build has migrated `ctx` further: a migration this
/// build does not know, and a column none of its queries name.
async fn migrate_further(db: &Db, table: &str) {
    let insert = match db.backend() {
        Engine::Sqlite => {
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9000, 'from a newer build', TRUE, X'00', 1)"
        }
        Engine::Postgres => {
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9000, 'from a newer build', TRUE, '\\x00'::bytea, 1)"
        }
    };
    sqlx::query(insert).execute(db.pool()).await.unwrap();
    let alter = format!("ALTER TABLE {table} ADD COLUMN added_by_a_newer_build TEXT");
    sqlx::raw_sql(sqlx::AssertSqlSafe(alter))
        .execute(db.pool())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn older_binaries_work_against_a_schema_migrated_further() {
    for backend in Backend::all() {
        migrate(&backend).await;
        add_client(&backend).await;
        let cfg = backend.common_args().resolve().unwrap();
        for (ctx, table) in [("crm", "leads"), ("ads", "campaigns")] {
            let db = Db::open_unmigrated(&cfg.db, ctx).await.unwrap();
            migrate_further(&db, table).await;
            assert_eq!(db.schema_version().await.unwrap(), 9000);
            db.close().await;
        }
        // The owner starts (and migrates nothing it does not know), and the
        // readers of crm and ads start too, migrations on or off.
        for migrate_flag in ["on", "off"] {
            let crm = stdio_client_env(
                "mcp-crm",
                &backend,
                &[],
                &[("PROMPTSALES_MIGRATE", migrate_flag)],
                Era::Initialize,
            )
            .await;
            call_tool(
                &crm,
                "register_lead",
                json!({"client_id": "cli_001", "channel": "web", "country": "CO",
                       "email": format!("ana-{migrate_flag}@example.com")}),
            )
            .await
            .unwrap_or_else(|e| panic!("register_lead on {}: {e}", backend.label));
            crm.cancel().await.unwrap();

            let ads = stdio_client_env(
                "mcp-ads",
                &backend,
                &[],
                &[("PROMPTSALES_MIGRATE", migrate_flag)],
                Era::Initialize,
            )
            .await;
            let seg = call_tool(
                &ads,
                "segment_audience",
                json!({"name": format!("all {migrate_flag}"), "client_id": "cli_001"}),
            )
            .await
            .unwrap_or_else(|e| panic!("segment_audience on {}: {e}", backend.label));
            assert!(
                seg["segment"]["matched"].as_i64().unwrap_or(0) >= 1,
                "{}: {seg}",
                backend.label
            );
            ads.cancel().await.unwrap();

            let analytics = stdio_client_env(
                "mcp-analytics",
                &backend,
                &[],
                &[("PROMPTSALES_MIGRATE", migrate_flag)],
                Era::Initialize,
            )
            .await;
            call_tool(&analytics, "sync", json!({}))
                .await
                .unwrap_or_else(|e| panic!("sync on {}: {e}", backend.label));
            analytics.cancel().await.unwrap();
        }
    }
}

/// `postgres://…/test` → `postgres://…/postgres`: the second database the
/// development machines and CI have.
fn other_database(url: &str) -> String {
    let (base, _) = url.rsplit_once('/').unwrap();
    format!("{base}/postgres")
}

async fn tables_in(url: &str, schema: &str) -> i64 {
    let cfg = promptsales_shared::config::DbConfig::new(url, "");
    let db = Db::open_unmigrated(&cfg, "information").await.unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1",
    )
    .bind(schema)
    .fetch_one(db.pool())
    .await
    .unwrap();
    sqlx::query("DROP SCHEMA IF EXISTS information CASCADE")
        .execute(db.pool())
        .await
        .ok();
    db.close().await;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_crm_can_live_in_its_own_postgres_database() {
    let Some(mut backend) = Backend::postgres_unmigrated() else {
        return;
    };
    let main_url = backend
        .vars
        .iter()
        .find(|(k, _)| k == "DATABASE_URL")
        .map(|(_, v)| v.clone())
        .unwrap();
    let crm_url = other_database(&main_url);
    let prefix = backend.schema_prefix.clone().unwrap();
    backend
        .vars
        .push(("CRM_DATABASE_URL".into(), crm_url.clone()));

    migrate(&backend).await;
    add_client(&backend).await;
    let crm_schema = format!("{prefix}crm");
    assert!(
        tables_in(&crm_url, &crm_schema).await > 0,
        "crm tables in the crm database"
    );
    assert_eq!(
        tables_in(&main_url, &crm_schema).await,
        0,
        "no crm tables in the main one"
    );

    let crm = stdio_client_env("mcp-crm", &backend, &[], &[], Era::Stateless).await;
    for i in 0..3 {
        call_tool(
            &crm,
            "register_lead",
            json!({"client_id": "cli_001", "channel": "meta", "country": "MX",
                   "email": format!("lead{i}@example.com")}),
        )
        .await
        .unwrap();
    }
    crm.cancel().await.unwrap();

    // Ads reads the audience and analytics syncs the leads across databases.
    let ads = stdio_client_env("mcp-ads", &backend, &[], &[], Era::Stateless).await;
    let seg = call_tool(
        &ads,
        "segment_audience",
        json!({"name": "mx", "client_id": "cli_001", "countries": ["MX"]}),
    )
    .await
    .unwrap();
    assert_eq!(seg["segment"]["matched"], 3, "{seg}");
    ads.cancel().await.unwrap();
    let analytics = stdio_client_env("mcp-analytics", &backend, &[], &[], Era::Stateless).await;
    call_tool(&analytics, "sync", json!({})).await.unwrap();
    let answer = call_tool(
        &analytics,
        "query_metrics",
        json!({"spec": {"metrics": ["leads"]}}),
    )
    .await
    .unwrap();
    assert_eq!(answer["rows"][0][0].as_f64(), Some(3.0), "{answer}");
    analytics.cancel().await.unwrap();

    // The backend drops its schemas in the main database; these are ours.
    let drop = format!(
        "DO $$ DECLARE s text; BEGIN FOR s IN SELECT nspname FROM pg_namespace \
         WHERE starts_with(nspname, '{prefix}') LOOP EXECUTE format('DROP SCHEMA %I CASCADE', s); \
         END LOOP; END $$"
    );
    let _ = std::process::Command::new("psql")
        .args(["-q", "-d", &crm_url, "-c", &drop])
        .env("PGOPTIONS", "-c client_min_messages=warning")
        .output();
}
