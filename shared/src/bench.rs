//! Benchmark figures: latency percentiles and throughput of a scenario,
//! printed as a Markdown table. Benchmarks print; they never assert.

use std::time::Duration;

/// Latency summary of one scenario.
#[derive(Debug, Clone)]
pub struct Figures {
    pub scenario: String,
    pub calls: usize,
    pub p50: Duration,
    pub p95: Duration,
    pub p99: Duration,
    pub per_sec: f64,
}

/// Summarises per-call latencies measured over `wall` of elapsed time.
pub fn summarise(scenario: String, mut lat: Vec<Duration>, wall: Duration) -> Figures {
    lat.sort();
    let pct = |p: f64| {
        if lat.is_empty() {
            Duration::ZERO
        } else {
            lat[((lat.len() as f64 - 1.0) * p).round() as usize]
        }
    };
    Figures {
        calls: lat.len(),
        p50: pct(0.50),
        p95: pct(0.95),
        p99: pct(0.99),
        per_sec: lat.len() as f64 / wall.as_secs_f64().max(1e-9),
        scenario,
    }
}

/// Prints figures as a Markdown table.
pub fn print_table(rows: &[Figures]) {
    println!("| scenario | calls | p50 | p95 | p99 | calls/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for f in rows {
        println!(
            "| {} | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.0} |",
            f.scenario,
            f.calls,
            f.p50.as_secs_f64() * 1e3,
            f.p95.as_secs_f64() * 1e3,
            f.p99.as_secs_f64() * 1e3,
            f.per_sec
        );
    }
}
