//! Benchmark of lead registration and search (filled in below).
fn main() {}
