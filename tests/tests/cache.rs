//! The cache against a real Redis, and its graceful degradation when Redis
//! is unreachable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use promptsales_shared::cache::Cache;
use promptsales_shared::config::CacheConfig;
use promptsales_tests::Backend;

fn config(url: &str, prefix: String) -> CacheConfig {
    CacheConfig {
        redis_url: Some(url.to_owned()),
        prefix,
        default_ttl: Duration::from_secs(60),
    }
}

#[tokio::test]
async fn redis_get_or_compute_hits_after_the_first_call() {
    let Some(pg) = Backend::postgres() else {
        return;
    };
    let url = pg
        .vars
        .iter()
        .find(|(k, _)| k == "REDIS_URL")
        .unwrap()
        .1
        .clone();
    let cache = Cache::from_config(&config(&url, pg.schema_prefix.clone().unwrap()));
    assert!(cache.ping().await, "Redis at {url} answers PING");
    let mut computed = 0;
    for _ in 0..3 {
        let (v, _) = cache
            .get_or_compute("answer", None, || {
                computed += 1;
                async { Ok::<_, ()>(vec![4, 2]) }
            })
            .await
            .unwrap();
        assert_eq!(v, vec![4, 2]);
    }
    assert_eq!(computed, 1);
    let s = cache.stats();
    assert_eq!((s.hits, s.misses, s.errors), (2, 1, 0));

    cache
        .set_json("short", &1, Some(Duration::from_millis(100)))
        .await;
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(
        cache.get_json::<i32>("short").await,
        None,
        "TTL honoured by Redis"
    );
}

#[tokio::test]
async fn closed_redis_port_degrades_to_the_source() {
    // Bind then drop a listener: the port is closed for certain.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let cache = Cache::from_config(&config(&format!("redis://127.0.0.1:{port}"), "t".into()));
    for i in 0..5 {
        let (v, cached) = cache
            .get_or_compute("k", None, || async move { Ok::<_, ()>(i) })
            .await
            .unwrap();
        assert_eq!((v, cached), (i, false), "every call served by the source");
    }
    assert!(cache.stats().errors >= 1);
    assert!(!cache.ping().await);
}
