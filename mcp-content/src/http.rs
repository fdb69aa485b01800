//! Outbound HTTP of this server (the LLM and image endpoints): every call
//! has a connect and a total timeout, every answer a size cap enforced
//! while it streams in (never after buffering it all), and no error or log
//! line carries the endpoint's URL, its key or the text of its answer.

use std::time::Duration;

use promptsales_shared::AppError;
use serde_json::Value;

/// How long and how much one outbound call may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest wait for the TCP/TLS connection.
    pub connect: Duration,
    /// Longest wait for the whole call, answer body included.
    pub total: Duration,
    /// Largest answer body accepted, in bytes.
    pub max_bytes: usize,
}

/// `n` bytes as a person reads them (`512 bytes`, `20 MiB`).
pub fn human_bytes(n: usize) -> String {
    const MIB: usize = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}

/// A client with the limits' timeouts.
pub fn client(limits: &Limits, what: &str) -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        .connect_timeout(limits.connect)
        .timeout(limits.total)
        .build()
        .map_err(|e| {
            tracing::error!(endpoint = what, error = %e.without_url(), "HTTP client not built");
            AppError::Internal(format!("{what}: HTTP client not built"))
        })
}

/// Why an outbound call failed; the detail is already in the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No connection could be made.
    Unreachable,
    /// The connection or the whole call took longer than its limit.
    TimedOut,
    /// A non-2xx answer.
    Status(u16),
    /// The answer passed the size cap.
    TooLarge,
    /// The call broke in another way (TLS, protocol, reset).
    Broken,
}

impl Failure {
    /// The error a caller sees: what failed and whether to retry.
    pub fn into_error(self, what: &str, limits: &Limits) -> AppError {
        AppError::Unavailable(match self {
            Failure::Unreachable => format!("{what} is unreachable; retry later"),
            Failure::TimedOut => format!(
                "{what} did not answer within {} s; retry later",
                whole_seconds(limits.total)
            ),
            Failure::Status(code) => format!("{what} answered {code}; retry later"),
            Failure::TooLarge => format!(
                "{what} answered with more than {} (the limit); the answer was refused",
                human_bytes(limits.max_bytes)
            ),
            Failure::Broken => format!("{what} did not answer usefully; retry later"),
        })
    }
}

/// A duration as whole seconds, rounded up (a 300 ms limit reads "1 s").
pub fn whole_seconds(d: Duration) -> u64 {
    d.as_secs_f64().ceil() as u64
}

/// Logs the driver's words (without the URL) and classifies them.
fn failed(what: &str, e: reqwest::Error) -> Failure {
    let e = e.without_url();
    tracing::warn!(endpoint = what, error = %e, "outbound call failed");
    if e.is_timeout() {
        Failure::TimedOut
    } else if e.is_connect() {
        Failure::Unreachable
    } else {
        Failure::Broken
    }
}

fn too_large(what: &str, limits: &Limits) -> Failure {
    tracing::warn!(
        endpoint = what,
        limit = limits.max_bytes,
        "outbound answer over the size cap"
    );
    Failure::TooLarge
}

/// The machine-readable part of an error answer (`error.code`,
/// `error.type`), without free text that could echo a key.
fn error_code(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let e = &v["error"];
    let code = e["code"].as_str().or_else(|| e["type"].as_str())?;
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .take(64)
        .collect();
    (!clean.is_empty()).then_some(clean)
}

/// Reads a body chunk by chunk and stops as soon as it passes the cap (a
/// declared `Content-Length` over the cap is refused before reading).
async fn read_capped(
    mut resp: reqwest::Response,
    what: &str,
    limits: &Limits,
) -> Result<Vec<u8>, Failure> {
    if resp
        .content_length()
        .is_some_and(|n| n > limits.max_bytes as u64)
    {
        return Err(too_large(what, limits));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| failed(what, e))? {
        if body.len() + chunk.len() > limits.max_bytes {
            return Err(too_large(what, limits));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Sends `request` and reads a successful answer within the limits; a
/// non-2xx answer is a failure naming only its status.
async fn exchange(
    request: reqwest::RequestBuilder,
    what: &str,
    limits: &Limits,
) -> Result<Vec<u8>, Failure> {
    let call = async {
        let resp = request.send().await.map_err(|e| failed(what, e))?;
        let status = resp.status();
        if !status.is_success() {
            // Only a little of an error answer is read, and only its code logged.
            let small = Limits {
                max_bytes: limits.max_bytes.min(16 * 1024),
                ..*limits
            };
            let body = read_capped(resp, what, &small).await.unwrap_or_default();
            tracing::warn!(
                endpoint = what,
                status = status.as_u16(),
                code = error_code(&body).as_deref().unwrap_or("-"),
                "outbound call answered with an error"
            );
            return Err(Failure::Status(status.as_u16()));
        }
        read_capped(resp, what, limits).await
    };
    // reqwest's own timeout covers the body too; this deadline is the
    // guarantee, whatever the transport does.
    tokio::time::timeout(limits.total, call)
        .await
        .unwrap_or_else(|_| {
            tracing::warn!(endpoint = what, "outbound call timed out");
            Err(Failure::TimedOut)
        })
}

/// POSTs `body` as JSON with the key as a bearer token; the answer's bytes.
pub async fn post_json(
    http: &reqwest::Client,
    what: &str,
    limits: &Limits,
    url: &str,
    key: &str,
    body: &Value,
) -> Result<Vec<u8>, Failure> {
    exchange(http.post(url).bearer_auth(key).json(body), what, limits).await
}

/// GETs `url` (a download link: it may be signed, so it is never shown).
pub async fn get(
    http: &reqwest::Client,
    what: &str,
    limits: &Limits,
    url: &str,
) -> Result<Vec<u8>, Failure> {
    exchange(http.get(url), what, limits).await
}

/// A URL fit for a `Debug` line: no user, password, query or fragment.
pub fn redacted_url(raw: &str) -> String {
    match reqwest::Url::parse(raw) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => "<not a URL>".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-route HTTP server answering every request with `answer`
    /// after `delay` (the body written in 1 KiB pieces).
    async fn serve(delay: Duration, head: &'static str, body: Vec<u8>) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    tokio::time::sleep(delay).await;
                    let _ = s.write_all(head.as_bytes()).await;
                    for piece in body.chunks(1024) {
                        if s.write_all(piece).await.is_err() {
                            return;
                        }
                    }
                    let _ = s.shutdown().await;
                });
            }
        });
        format!("http://user:secret@{addr}/v1?key=sk-hidden")
    }

    fn limits(total_ms: u64, max: usize) -> Limits {
        Limits {
            connect: Duration::from_secs(2),
            total: Duration::from_millis(total_ms),
            max_bytes: max,
        }
    }

    const OK_CLOSE: &str =
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";

    #[tokio::test]
    async fn answers_within_the_limits_are_read() {
        let url = serve(Duration::ZERO, OK_CLOSE, b"{\"ok\":true}".to_vec()).await;
        let l = limits(5000, 1024);
        let http = client(&l, "the test endpoint").unwrap();
        let body = get(&http, "the test endpoint", &l, &url).await.unwrap();
        assert_eq!(body, b"{\"ok\":true}");
    }

    #[tokio::test]
    async fn a_slow_endpoint_is_cut_at_the_total_timeout_without_its_url() {
        let url = serve(Duration::from_secs(30), OK_CLOSE, b"{}".to_vec()).await;
        let l = limits(300, 1024);
        let http = client(&l, "the image endpoint").unwrap();
        let started = std::time::Instant::now();
        let f = post_json(
            &http,
            "the image endpoint",
            &l,
            &url,
            "sk-secret",
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(f, Failure::TimedOut);
        let text = f.into_error("the image endpoint", &l).to_string();
        assert!(
            text.contains("the image endpoint did not answer within 1 s"),
            "{text}"
        );
        assert!(
            !text.contains("127.0.0.1") && !text.contains("sk-"),
            "{text}"
        );
    }

    #[tokio::test]
    async fn an_oversized_answer_is_refused_while_it_streams() {
        // No Content-Length: the cap is found by counting.
        let url = serve(Duration::ZERO, OK_CLOSE, vec![b'x'; 64 * 1024]).await;
        let l = limits(5000, 4096);
        let http = client(&l, "the image endpoint").unwrap();
        let f = get(&http, "the image endpoint", &l, &url)
            .await
            .unwrap_err();
        assert_eq!(f, Failure::TooLarge);
        let e = f.into_error("the image endpoint", &l);
        assert!(e.to_string().contains("more than 4 KiB"), "{e}");
        // A declared length over the cap is refused before reading.
        let head = "HTTP/1.1 200 OK\r\ncontent-length: 65536\r\nconnection: close\r\n\r\n";
        let url = serve(Duration::ZERO, head, vec![b'x'; 64 * 1024]).await;
        let f = get(&http, "the image endpoint", &l, &url)
            .await
            .unwrap_err();
        assert_eq!(f, Failure::TooLarge);
    }

    #[tokio::test]
    async fn error_answers_name_their_status_only() {
        let head = "HTTP/1.1 401 Unauthorized\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
        let body = br#"{"error":{"message":"Incorrect API key provided: sk-secret","code":"invalid_api_key"}}"#;
        let url = serve(Duration::ZERO, head, body.to_vec()).await;
        let l = limits(5000, 4096);
        let http = client(&l, "the LLM endpoint").unwrap();
        let f = post_json(
            &http,
            "the LLM endpoint",
            &l,
            &url,
            "sk-secret",
            &serde_json::json!({}),
        )
        .await
        .unwrap_err();
        assert_eq!(f, Failure::Status(401));
        assert_eq!(
            f.into_error("the LLM endpoint", &l).to_string(),
            "temporarily unavailable: the LLM endpoint answered 401; retry later"
        );
        assert_eq!(error_code(body).as_deref(), Some("invalid_api_key"));
    }

    #[tokio::test]
    async fn an_unreachable_endpoint_is_named_without_its_url() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let l = limits(2000, 1024);
        let http = client(&l, "the LLM endpoint").unwrap();
        let f = get(
            &http,
            "the LLM endpoint",
            &l,
            &format!("http://127.0.0.1:{port}/v1"),
        )
        .await
        .unwrap_err();
        assert_eq!(f, Failure::Unreachable);
        let text = f.into_error("the LLM endpoint", &l).to_string();
        assert!(text.contains("the LLM endpoint is unreachable"), "{text}");
        assert!(!text.contains(&port.to_string()), "{text}");
    }

    #[test]
    fn urls_in_debug_lines_lose_their_credentials() {
        assert_eq!(
            redacted_url("https://user:pw@api.example/v1?key=sk-1#x"),
            "https://api.example/v1"
        );
        assert_eq!(redacted_url("not a url"), "<not a URL>");
        assert_eq!(human_bytes(20 * 1024 * 1024), "20 MiB");
        assert_eq!(human_bytes(4096), "4 KiB");
        assert_eq!(human_bytes(1000), "1000 bytes");
    }
}
