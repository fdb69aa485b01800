//! One cache trait, two backends: in-process (moka) and Redis. The [`Cache`]
//! front adds key prefixes, TTLs, JSON values, get-or-compute and hit/miss
//! counters, and degrades gracefully: when Redis fails the call goes to the
//! source, a warning is logged (at most every 30 s) and the caller never sees
//! an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::CacheConfig;

/// A failure of the cache backend (never shown to users).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CacheError(String);

/// A key-value store with per-entry TTL.
pub trait CacheBackend: Send + Sync {
    fn name(&self) -> &'static str;
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, CacheError>>;
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheError>>;
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), CacheError>>;
    fn ping(&self) -> BoxFuture<'_, bool>;
}

/// In-process backend: a bounded moka cache with per-entry expiry.
pub struct MemoryBackend {
    inner: moka::sync::Cache<String, (Arc<Vec<u8>>, Duration)>,
}

struct PerEntryTtl;

impl moka::Expiry<String, (Arc<Vec<u8>>, Duration)> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &(Arc<Vec<u8>>, Duration),
        _now: Instant,
    ) -> Option<Duration> {
        Some(value.1)
    }
    fn expire_after_update(
        &self,
        _key: &String,
        value: &(Arc<Vec<u8>>, Duration),
        _now: Instant,
        _current: Option<Duration>,
    ) -> Option<Duration> {
        Some(value.1)
    }
}

impl MemoryBackend {
    pub fn new(max_entries: u64) -> Self {
        Self {
            inner: moka::sync::Cache::builder()
                .max_capacity(max_entries)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

impl CacheBackend for MemoryBackend {
    fn name(&self) -> &'static str {
        "memory"
    }
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, CacheError>> {
        let v = self.inner.get(key).map(|(v, _)| v.as_ref().clone());
        Box::pin(async move { Ok(v) })
    }
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        self.inner.insert(key.to_owned(), (Arc::new(value), ttl));
        Box::pin(async { Ok(()) })
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), CacheError>> {
        self.inner.invalidate(key);
        Box::pin(async { Ok(()) })
    }
    fn ping(&self) -> BoxFuture<'_, bool> {
        Box::pin(async { true })
    }
}

/// Redis backend over a lazily connected, self-reconnecting
/// `ConnectionManager`. After a failure it stays out of the way for a short
/// cool-down so a dead Redis costs callers nothing.
pub struct RedisBackend {
    conn: redis::aio::ConnectionManager,
    op_timeout: Duration,
    down_until: std::sync::Mutex<Option<Instant>>,
}

const REDIS_COOL_DOWN: Duration = Duration::from_secs(2);

impl RedisBackend {
    pub fn new(url: &str) -> Result<Self, CacheError> {
        let client = redis::Client::open(url).map_err(|e| CacheError(e.to_string()))?;
        let cfg = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(300)))
            .set_response_timeout(Some(Duration::from_millis(300)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let conn = client
            .get_connection_manager_lazy(cfg)
            .map_err(|e| CacheError(e.to_string()))?;
        Ok(Self {
            conn,
            op_timeout: Duration::from_millis(500),
            down_until: std::sync::Mutex::new(None),
        })
    }

    fn cooling_down(&self) -> bool {
        let guard = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        matches!(*guard, Some(t) if Instant::now() < t)
    }

    fn mark(&self, ok: bool) {
        let mut guard = self.down_until.lock().unwrap_or_else(|p| p.into_inner());
        *guard = if ok {
            None
        } else {
            Some(Instant::now() + REDIS_COOL_DOWN)
        };
    }

    async fn run<T, F>(&self, f: F) -> Result<T, CacheError>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if self.cooling_down() {
            return Err(CacheError("redis unavailable (cooling down)".into()));
        }
        let r = match tokio::time::timeout(self.op_timeout, f).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(CacheError(format!("redis: {e}"))),
            Err(_) => Err(CacheError("redis: timed out".into())),
        };
        self.mark(r.is_ok());
        r
    }
}

impl CacheBackend for RedisBackend {
    fn name(&self) -> &'static str {
        "redis"
    }
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<Option<Vec<u8>>, CacheError>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            self.run(async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async::<Option<Vec<u8>>>(&mut c)
                    .await
            })
            .await
        })
    }
    fn set<'a>(
        &'a self,
        key: &'a str,
        value: Vec<u8>,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            let ms = ttl.as_millis().max(1) as u64;
            self.run(async move {
                redis::cmd("SET")
                    .arg(key)
                    .arg(value)
                    .arg("PX")
                    .arg(ms)
                    .query_async::<()>(&mut c)
                    .await
            })
            .await
        })
    }
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), CacheError>> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            self.run(async move { redis::cmd("DEL").arg(key).query_async::<()>(&mut c).await })
                .await
        })
    }
    fn ping(&self) -> BoxFuture<'_, bool> {
        Box::pin(async move {
            let mut c = self.conn.clone();
            // A readiness probe must look even while cooling down.
            let r = tokio::time::timeout(
                self.op_timeout,
                redis::cmd("PING").query_async::<String>(&mut c),
            )
            .await;
            let ok = matches!(r, Ok(Ok(_)));
            self.mark(ok);
            ok
        })
    }
}

/// Hit/miss/error counters.
#[derive(Debug, Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    errors: AtomicU64,
    last_warn: std::sync::Mutex<Option<Instant>>,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct CacheStats {
    pub hits: u64,
    pub misses: u64,
    pub errors: u64,
}

/// The cache every server uses.
#[derive(Clone)]
pub struct Cache {
    backend: Arc<dyn CacheBackend>,
    prefix: Arc<str>,
    default_ttl: Duration,
    counters: Arc<Counters>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("backend", &self.backend.name())
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl Cache {
    /// Redis when configured (connected lazily, so a Redis that is down at
    /// start does not stop the server), else in-process.
    pub fn from_config(cfg: &CacheConfig) -> Self {
        let backend: Arc<dyn CacheBackend> = match &cfg.redis_url {
            Some(url) => match RedisBackend::new(url) {
                Ok(r) => Arc::new(r),
                Err(e) => {
                    tracing::warn!(error = %e, "redis unusable; using the in-process cache");
                    Arc::new(MemoryBackend::new(100_000))
                }
            },
            None => Arc::new(MemoryBackend::new(100_000)),
        };
        Self::with_backend(backend, &cfg.prefix, cfg.default_ttl)
    }

    pub fn in_memory(prefix: &str, default_ttl: Duration) -> Self {
        Self::with_backend(Arc::new(MemoryBackend::new(100_000)), prefix, default_ttl)
    }

    pub fn with_backend(
        backend: Arc<dyn CacheBackend>,
        prefix: &str,
        default_ttl: Duration,
    ) -> Self {
        Self {
            backend,
            prefix: Arc::from(prefix),
            default_ttl,
            counters: Arc::new(Counters::default()),
        }
    }

    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            errors: self.counters.errors.load(Ordering::Relaxed),
        }
    }

    pub async fn ping(&self) -> bool {
        self.backend.ping().await
    }

    fn key(&self, key: &str) -> String {
        format!("{}:{}", self.prefix, key)
    }

    fn degraded(&self, e: &CacheError) {
        self.counters.errors.fetch_add(1, Ordering::Relaxed);
        let mut last = self
            .counters
            .last_warn
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let due = last.is_none_or(|t| t.elapsed() > Duration::from_secs(30));
        if due {
            *last = Some(Instant::now());
            tracing::warn!(backend = self.backend.name(), error = %e,
                "cache unavailable: serving from the source");
        }
    }

    /// Reads a JSON value; any cache failure reads as a miss.
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let k = self.key(key);
        match self.backend.get(&k).await {
            Ok(Some(bytes)) => match serde_json::from_slice(&bytes) {
                Ok(v) => {
                    self.counters.hits.fetch_add(1, Ordering::Relaxed);
                    Some(v)
                }
                Err(_) => {
                    // A value of an older shape: treat as a miss.
                    self.counters.misses.fetch_add(1, Ordering::Relaxed);
                    None
                }
            },
            Ok(None) => {
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
            Err(e) => {
                self.degraded(&e);
                self.counters.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Stores a JSON value; failures are logged, never returned.
    pub async fn set_json<T: Serialize>(&self, key: &str, value: &T, ttl: Option<Duration>) {
        let Ok(bytes) = serde_json::to_vec(value) else {
            return;
        };
        let k = self.key(key);
        if let Err(e) = self
            .backend
            .set(&k, bytes, ttl.unwrap_or(self.default_ttl))
            .await
        {
            self.degraded(&e);
        }
    }

    pub async fn delete(&self, key: &str) {
        let k = self.key(key);
        if let Err(e) = self.backend.delete(&k).await {
            self.degraded(&e);
        }
    }

    /// Returns the cached value, or computes, stores and returns it. The
    /// boolean says whether it came from the cache.
    pub async fn get_or_compute<T, E, F, Fut>(
        &self,
        key: &str,
        ttl: Option<Duration>,
        compute: F,
    ) -> Result<(T, bool), E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, E>>,
    {
        if let Some(v) = self.get_json::<T>(key).await {
            return Ok((v, true));
        }
        let v = compute().await?;
        self.set_json(key, &v, ttl).await;
        Ok((v, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_get_or_compute_counts_hits_and_misses() {
        let c = Cache::in_memory("t", Duration::from_secs(60));
        let (v, cached) = c
            .get_or_compute("k", None, || async { Ok::<_, ()>(41 + 1) })
            .await
            .unwrap();
        assert_eq!((v, cached), (42, false));
        let (v, cached) = c
            .get_or_compute("k", None, || async { Err::<i32, ()>(()) })
            .await
            .unwrap();
        assert_eq!((v, cached), (42, true));
        assert_eq!(
            c.stats(),
            CacheStats {
                hits: 1,
                misses: 1,
                errors: 0
            }
        );
    }

    #[tokio::test]
    async fn entries_expire_after_their_ttl() {
        let c = Cache::in_memory("t", Duration::from_secs(60));
        c.set_json("short", &1, Some(Duration::from_millis(30)))
            .await;
        assert_eq!(c.get_json::<i32>("short").await, Some(1));
        tokio::time::sleep(Duration::from_millis(80)).await;
        assert_eq!(c.get_json::<i32>("short").await, None);
    }

    #[tokio::test]
    async fn dead_redis_degrades_to_the_source() {
        // Port 9 (discard) on loopback: nothing listens there.
        let cfg = CacheConfig {
            redis_url: Some("redis://127.0.0.1:9".into()),
            prefix: "t".into(),
            default_ttl: Duration::from_secs(60),
        };
        let c = Cache::from_config(&cfg);
        assert_eq!(c.backend_name(), "redis");
        for _ in 0..3 {
            let (v, cached) = c
                .get_or_compute("k", None, || async { Ok::<_, ()>("fresh".to_string()) })
                .await
                .unwrap();
            assert_eq!((v.as_str(), cached), ("fresh", false));
        }
        assert!(c.stats().errors >= 1);
        assert!(!c.ping().await);
    }
}
