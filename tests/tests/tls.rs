//! HTTPS end to end: a server binary started with a certificate from a CA made at test time speaks TLS 1.3 only, refuses TLS 1.2 and plain HTTP, and the orchestrator reaches it when told to trust that CA.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use promptsales_tests::{Backend, HttpServer, bin, command, wait_healthy};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::{ClientLifecycleMode, model::ProtocolVersion, serve_client_with_lifecycle};
use rustls::pki_types::{CertificateDer, ServerName};
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A CA and a server certificate for `127.0.0.1` and `localhost` signed by
/// it, as PEM files.
struct Pki {
    dir: TempDir,
    ca_der: CertificateDer<'static>,
}

impl Pki {
    fn new() -> Self {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "PromptSales test CA");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().unwrap()).unwrap();

        let key = KeyPair::generate().unwrap();
        let mut leaf =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        leaf.distinguished_name.push(DnType::CommonName, "mcp-crm");
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf = leaf.signed_by(&key, &ca).unwrap();

        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca.pem()).unwrap();
        // The chain a server presents: its certificate, then the CA's.
        std::fs::write(
            dir.path().join("cert.pem"),
            format!("{}{}", leaf.pem(), ca.pem()),
        )
        .unwrap();
        std::fs::write(dir.path().join("key.pem"), key.serialize_pem()).unwrap();
        // A key of another certificate: it does not match `cert.pem`.
        std::fs::write(
            dir.path().join("other-key.pem"),
            KeyPair::generate().unwrap().serialize_pem(),
        )
        .unwrap();
        Pki {
            ca_der: ca.der().clone(),
            dir,
        }
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// A reqwest client trusting only this CA.
    fn http(&self) -> reqwest::Client {
        let ca =
            reqwest::Certificate::from_pem(&std::fs::read(self.path("ca.pem")).unwrap()).unwrap();
        reqwest::Client::builder()
            .tls_certs_only([ca])
            .build()
            .unwrap()
    }

    /// A raw rustls client trusting this CA, offering only `versions`.
    fn connector(
        &self,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> tokio_rustls::TlsConnector {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der.clone()).unwrap();
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        tokio_rustls::TlsConnector::from(Arc::new(config))
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `mcp-crm` over HTTPS on a free loopback port, and that port.
async fn start_https(backend: &Backend, pki: &Pki) -> (HttpServer, u16) {
    let port = free_port();
    let child = command("mcp-crm", backend)
        .args([
            "--transport",
            "http",
            "--bind",
            &format!("127.0.0.1:{port}"),
        ])
        // The variables, as a deployment sets them; the flags are checked
        // by the start-up test below.
        .env("PROMPTSALES_TLS_CERT", pki.path("cert.pem"))
        .env("PROMPTSALES_TLS_KEY", pki.path("key.pem"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}");
    wait_healthy(&pki.http(), &base, "mcp-crm over HTTPS").await;
    (HttpServer { child, base }, port)
}

#[tokio::test]
async fn servers_speak_tls_1_3_only_and_the_orchestrator_trusts_the_configured_ca() {
    let backend = Backend::sqlite();
    let pki = Pki::new();
    let (server, port) = start_https(&backend, &pki).await;
    let addr = format!("127.0.0.1:{port}");

    // A real MCP client over HTTPS, trusting the CA, in both protocol eras.
    for mode in [
        ClientLifecycleMode::Initialize,
        ClientLifecycleMode::Discover {
            preferred_versions: vec![ProtocolVersion::V_2026_07_28],
        },
    ] {
        let transport = StreamableHttpClientTransport::with_client(
            pki.http(),
            StreamableHttpClientTransportConfig::with_uri(server.mcp_url()),
        );
        let client = serve_client_with_lifecycle((), transport, mode)
            .await
            .expect("MCP over HTTPS");
        let tools = client.peer().list_all_tools().await.unwrap();
        assert!(
            tools.iter().any(|t| t.name == "register_lead"),
            "crm's tools over HTTPS: {:?}",
            tools.iter().map(|t| t.name.to_string()).collect::<Vec<_>>()
        );
        client.cancel().await.unwrap();
    }

    // A raw TLS 1.3 client: the negotiated version and ALPN (HTTP/1.1, the
    // one the server speaks), then a request on the same stream.
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let mut tls = pki
        .connector(&[&rustls::version::TLS13])
        .connect(name.clone(), tcp)
        .await
        .expect("a TLS 1.3 client is served");
    let (_, conn) = tls.get_ref();
    assert_eq!(
        conn.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_3)
    );
    tls.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // A client limited to TLS 1.2 is refused during the handshake.
    let tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let refused = pki
        .connector(&[&rustls::version::TLS12])
        .connect(name, tcp)
        .await
        .expect_err("a TLS 1.2-only client must be refused");
    let text = refused.to_string();
    assert!(
        text.contains("ProtocolVersion") || text.contains("incompatible"),
        "TLS 1.2 refused for its version: {text}"
    );

    // Plain HTTP to the TLS port gets no answer.
    let plain = reqwest::Client::new()
        .get(format!("http://{addr}/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await;
    assert!(
        plain.is_err(),
        "plain HTTP must not be served on the TLS port: {plain:?}"
    );

    // The orchestrator reaches the server over HTTPS with the CA…
    let tools = |ca: Option<&Path>| {
        let mut cmd = command("promptsales", &backend);
        cmd.arg("tools")
            .env("PROMPTSALES_SERVERS", "crm")
            .env("PROMPTSALES_CRM_URL", server.mcp_url())
            .stdin(Stdio::null());
        if let Some(ca) = ca {
            cmd.env("PROMPTSALES_TLS_CA", ca);
        }
        async move {
            let out = cmd.output().await.unwrap();
            assert!(
                out.status.success(),
                "promptsales tools: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).unwrap()
        }
    };
    let trusted = tools(Some(&pki.path("ca.pem"))).await;
    assert!(
        trusted.contains("crm.register_lead") && !trusted.contains("unavailable"),
        "{trusted}"
    );
    // …and without it says why it cannot, and what to set.
    let untrusted = tools(None).await;
    assert!(
        untrusted.starts_with("crm: unavailable")
            && untrusted.contains(
                "cannot connect to the crm server over HTTPS: invalid peer certificate: \
                 UnknownIssuer; set PROMPTSALES_TLS_CA"
            )
            && !untrusted.contains("crm.register_lead"),
        "{untrusted}"
    );

    // SIGTERM still drains and stops the HTTPS server cleanly.
    let status = server.terminate().await;
    assert!(status.success(), "{status:?}");
}

/// Runs `mcp-crm` in HTTP mode with `args` and `envs` and expects it to
/// refuse to start: its stderr.
async fn refused_start(backend: &Backend, args: &[&str], envs: &[(&str, &Path)]) -> String {
    let port = free_port().to_string();
    let mut cmd = command("mcp-crm", backend);
    cmd.args([
        "--transport",
        "http",
        "--bind",
        &format!("127.0.0.1:{port}"),
    ])
    .args(args)
    .stdin(Stdio::null())
    .kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(30), cmd.output())
        .await
        .expect("a refused start exits at once")
        .unwrap();
    assert!(!out.status.success(), "{args:?} {envs:?} must not start");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn an_incomplete_or_unusable_certificate_stops_the_start_naming_the_variable() {
    assert!(bin("mcp-crm").exists());
    let backend = Backend::sqlite();
    let pki = Pki::new();
    let cert = pki.path("cert.pem");
    let key = pki.path("key.pem");

    let key_flag = key.display().to_string();
    let missing = pki.path("missing-key.pem");
    let other = pki.path("other-key.pem");
    // Flags, variables, and what the refusal must say.
    type Case<'a> = (&'a [&'a str], Vec<(&'a str, &'a Path)>, &'a [&'a str]);
    let cases: [Case; 5] = [
        (
            &[],
            vec![("PROMPTSALES_TLS_CERT", &cert)],
            &["PROMPTSALES_TLS_CERT is set but PROMPTSALES_TLS_KEY is not"],
        ),
        // The flag counts as the variable.
        (
            &["--tls-key", &key_flag],
            vec![],
            &["PROMPTSALES_TLS_KEY is set but PROMPTSALES_TLS_CERT is not"],
        ),
        (
            &[],
            vec![
                ("PROMPTSALES_TLS_CERT", &cert),
                ("PROMPTSALES_TLS_KEY", &missing),
            ],
            &["PROMPTSALES_TLS_KEY: cannot read", "missing-key.pem"],
        ),
        // A certificate given where the key belongs holds no key.
        (
            &[],
            vec![
                ("PROMPTSALES_TLS_CERT", &cert),
                ("PROMPTSALES_TLS_KEY", &cert),
            ],
            &["PROMPTSALES_TLS_KEY:", "no usable private key"],
        ),
        // Another certificate's key.
        (
            &[],
            vec![
                ("PROMPTSALES_TLS_CERT", &cert),
                ("PROMPTSALES_TLS_KEY", &other),
            ],
            &[
                "PROMPTSALES_TLS_CERT / PROMPTSALES_TLS_KEY",
                "cannot be used together",
            ],
        ),
    ];
    for (args, envs, expected) in cases {
        let e = refused_start(&backend, args, &envs).await;
        for part in expected {
            assert!(e.contains(part), "{args:?} {envs:?}: {e}");
        }
    }
}
