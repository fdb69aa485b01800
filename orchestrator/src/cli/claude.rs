//! `promptsales claude-config`: a `claude_desktop_config.json` for one person — each server entry runs as that person (`PROMPTSALES_ACTOR`) with exactly the scopes their role needs from it (`PROMPTSALES_SCOPES`) — and how an approver gets entries of their own.

use std::path::Path;

use serde_json::{Value, json};

use crate::client::{SERVERS, config::default_bin_dir};

/// What a person does with PromptSales, and so which scopes they hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Drafts copy and campaigns, reads leads and numbers, starts
    /// pipelines; approves, launches and sends nothing.
    Marketer,
    /// Decides approval gates: approves copy and campaigns and launches
    /// what they approved.
    Approver,
    /// Works the CRM: leads, follow-ups, messages to leads.
    Seller,
    /// Asks the numbers.
    Analyst,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Marketer => "marketer",
            Role::Approver => "approver",
            Role::Seller => "seller",
            Role::Analyst => "analyst",
        }
    }

    /// The scopes the role needs, per server entry (`promptsales` is the
    /// orchestrator; its pipelines call the other servers as the same
    /// person with these scopes, so it carries theirs too). A server the
    /// role has nothing to do with gets no entry.
    pub fn scopes(self) -> &'static [(&'static str, &'static [&'static str])] {
        match self {
            Role::Marketer => &[
                ("content", &["content:read", "content:write"]),
                ("ads", &["ads:read", "ads:write"]),
                ("crm", &["crm:read"]),
                ("analytics", &["analytics:read"]),
                (
                    "promptsales",
                    &[
                        "orchestrator:read",
                        "orchestrator:run",
                        "content:read",
                        "content:write",
                        "ads:read",
                        "ads:write",
                        "crm:read",
                        "analytics:read",
                    ],
                ),
            ],
            Role::Approver => &[
                ("content", &["content:read", "content:approve"]),
                ("ads", &["ads:read", "ads:approve", "ads:launch"]),
                (
                    "promptsales",
                    &[
                        "orchestrator:read",
                        "orchestrator:approve",
                        "content:read",
                        "content:approve",
                        "ads:read",
                        "ads:approve",
                        "ads:launch",
                    ],
                ),
            ],
            Role::Seller => &[("crm", &["crm:read", "crm:write", "crm:send"])],
            Role::Analyst => &[("analytics", &["analytics:read"])],
        }
    }
}

/// The entry name of `server` for `role`: the marketer's are the plain
/// names, another role's carry the role (`promptsales-approver`), so one
/// file can hold both without clashing.
fn entry_name(server: &str, role: Role) -> String {
    let base = if server == "promptsales" {
        "promptsales".to_owned()
    } else {
        format!("promptsales-{server}")
    };
    match role {
        Role::Marketer => base,
        other => format!("{base}-{}", other.as_str()),
    }
}

/// A ready `claude_desktop_config.json` for `person` in `role`.
pub fn claude_config(data_dir: &Path, person: &str, role: Role) -> Value {
    let bin = default_bin_dir(&|k| std::env::var(k).ok());
    let bin = std::fs::canonicalize(&bin).unwrap_or(bin);
    let data = std::fs::canonicalize(data_dir).unwrap_or_else(|_| {
        std::env::current_dir()
            .map(|d| d.join(data_dir))
            .unwrap_or_else(|_| data_dir.to_path_buf())
    });
    let mut base = serde_json::Map::new();
    base.insert(
        "PROMPTSALES_DATA_DIR".into(),
        json!(data.display().to_string()),
    );
    for var in ["DATABASE_URL", "REDIS_URL", "PROMPTSALES_TENANT"] {
        if let Ok(v) = std::env::var(var) {
            base.insert(var.into(), json!(v));
        }
    }
    base.insert("PROMPTSALES_ACTOR".into(), json!(person));
    let mut servers = serde_json::Map::new();
    for (server, scopes) in role.scopes() {
        let mut env = base.clone();
        env.insert("PROMPTSALES_SCOPES".into(), json!(scopes.join(",")));
        let (binary, args) = match SERVERS.iter().find(|(n, _)| n == server) {
            Some((_, b)) => (*b, json!([])),
            None => ("promptsales", json!(["mcp"])),
        };
        servers.insert(
            entry_name(server, role),
            json!({ "command": bin.join(binary).display().to_string(), "args": args, "env": env }),
        );
    }
    json!({ "mcpServers": servers })
}

/// What the person is told beside the file (on stderr: stdout is the
/// JSON to paste).
pub fn advice(person: &str, role: Role) -> String {
    let mut s = format!(
        "These entries run as {person} ({}) with only the scopes that role needs from each \
         server; every call is audited under that name.",
        role.as_str()
    );
    if role != Role::Approver {
        s.push_str(
            "\nAn approver needs entries of their own, under their own name, so that four eyes \
             hold (nobody approves what they drafted): run\n  promptsales claude-config --person \
             <approver> --role approver\nand add its mcpServers (named *-approver) to the \
             approver's claude_desktop_config.json (or to this one, when the same person also \
             approves others' work).",
        );
    }
    s
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use promptsales_shared::scope::Scope;

    use super::*;

    #[test]
    fn each_role_gets_exactly_its_scopes_under_its_own_name() {
        let dir = std::env::temp_dir();
        let cfg = claude_config(&dir, "ana", Role::Marketer);
        let servers = cfg["mcpServers"].as_object().unwrap();
        assert_eq!(servers.len(), 5);
        assert_eq!(
            servers["promptsales-ads"]["env"]["PROMPTSALES_ACTOR"],
            "ana"
        );
        assert_eq!(
            servers["promptsales-ads"]["env"]["PROMPTSALES_SCOPES"],
            "ads:read,ads:write"
        );
        assert_eq!(servers["promptsales"]["args"], json!(["mcp"]));
        let approver = claude_config(&dir, "luis", Role::Approver);
        let servers = approver["mcpServers"].as_object().unwrap();
        let names: Vec<&String> = servers.keys().collect();
        assert_eq!(
            names,
            [
                "promptsales-ads-approver",
                "promptsales-approver",
                "promptsales-content-approver"
            ]
        );
        assert!(
            servers["promptsales-approver"]["env"]["PROMPTSALES_SCOPES"]
                .as_str()
                .unwrap()
                .contains("orchestrator:approve")
        );
        // Every scope named is a real one; nobody's entry is admin.
        for role in [Role::Marketer, Role::Approver, Role::Seller, Role::Analyst] {
            for (_, scopes) in role.scopes() {
                for s in *scopes {
                    let s = Scope::parse(s).unwrap();
                    assert_ne!(s, Scope::Admin);
                }
            }
        }
        assert!(advice("ana", Role::Marketer).contains("--role approver"));
        assert!(!advice("luis", Role::Approver).contains("--role approver"));
    }
}
