//! Purchase-intent model: logistic regression on standardised features,
//! trained by batch gradient descent, evaluated by AUC on a held-out split.

use serde::{Deserialize, Serialize};

/// The features, in vector order, with what each one measures.
pub const FEATURES: &[(&str, &str)] = &[
    ("score", "current lead score, 0-100"),
    ("inbound_messages", "messages the lead sent us"),
    ("outbound_messages", "messages we sent the lead"),
    (
        "avg_sentiment",
        "average sentiment of the lead's messages, -1 to 1",
    ),
    ("asked_pricing", "1 when the lead asked about pricing"),
    ("asked_demo", "1 when the lead asked for a demo or meeting"),
    ("talked_buying", "1 when the lead talked about buying"),
    ("paid_channel", "1 when the lead came from a paid channel"),
    ("has_company", "1 when the lead buys for a company"),
    ("has_product_interest", "1 when the lead named a product"),
    ("has_seller", "1 when a seller is assigned"),
];

/// A trained model with its evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct IntentModel {
    pub weights: Vec<f64>,
    pub bias: f64,
    pub means: Vec<f64>,
    pub stds: Vec<f64>,
    /// Area under the ROC curve on the held-out split (0.5 = chance).
    pub auc: f64,
    pub train_rows: usize,
    pub test_rows: usize,
    /// Share of positives (customers) in the training rows.
    pub base_rate: f64,
    /// Leads in the tenant when trained: the model is stale once the
    /// tenant grows well past it.
    pub leads_seen: usize,
}

/// One labelled example: features and whether the lead became a customer.
#[derive(Debug, Clone)]
pub struct Example {
    pub key: String,
    pub x: Vec<f64>,
    pub y: bool,
}

/// Why a model could not be trained.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    #[error(
        "not enough history: {positives} customers and {negatives} other leads (need at least 10 of each)"
    )]
    NotEnough { positives: usize, negatives: usize },
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// Stable, deterministic split: a quarter of the keys (by FNV hash) are
/// held out for evaluation.
pub fn is_held_out(key: &str) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.is_multiple_of(4)
}

/// Area under the ROC curve: the probability that a random positive ranks
/// above a random negative (ties count half).
pub fn auc(scored: &[(f64, bool)]) -> f64 {
    let mut v: Vec<(f64, bool)> = scored.to_vec();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let pos = v.iter().filter(|s| s.1).count() as f64;
    let neg = v.len() as f64 - pos;
    if pos == 0.0 || neg == 0.0 {
        return 0.5;
    }
    // Rank-sum with average ranks for ties.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1].0 == v[i].0 {
            j += 1;
        }
        let avg_rank = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += avg_rank * v[i..=j].iter().filter(|s| s.1).count() as f64;
        i = j + 1;
    }
    (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg)
}

impl IntentModel {
    /// Trains on the non-held-out examples (L2-regularised, class-balanced
    /// gradient descent) and evaluates on the held-out ones.
    pub fn train(examples: &[Example], leads_seen: usize) -> Result<Self, TrainError> {
        let positives = examples.iter().filter(|e| e.y).count();
        let negatives = examples.len() - positives;
        if positives < 10 || negatives < 10 {
            return Err(TrainError::NotEnough {
                positives,
                negatives,
            });
        }
        let (test, train): (Vec<&Example>, Vec<&Example>) =
            examples.iter().partition(|e| is_held_out(&e.key));
        let d = FEATURES.len();
        let n = train.len() as f64;
        let mut means = vec![0.0; d];
        for e in &train {
            for (m, x) in means.iter_mut().zip(&e.x) {
                *m += x / n;
            }
        }
        let mut stds = vec![0.0; d];
        for e in &train {
            for ((s, x), m) in stds.iter_mut().zip(&e.x).zip(&means) {
                *s += (x - m).powi(2) / n;
            }
        }
        for s in &mut stds {
            *s = if s.sqrt() > 1e-9 { s.sqrt() } else { 1.0 };
        }
        let z: Vec<(Vec<f64>, f64)> = train
            .iter()
            .map(|e| {
                let x =
                    e.x.iter()
                        .zip(&means)
                        .zip(&stds)
                        .map(|((x, m), s)| (x - m) / s)
                        .collect();
                (x, if e.y { 1.0 } else { 0.0 })
            })
            .collect();
        let train_pos = z.iter().filter(|r| r.1 > 0.5).count().max(1) as f64;
        let train_neg = (z.len() as f64 - train_pos).max(1.0);
        // Class weights so a rare "customer" class is not ignored.
        let w_pos = n / (2.0 * train_pos);
        let w_neg = n / (2.0 * train_neg);
        let mut w = vec![0.0; d];
        let mut b = 0.0;
        let (rate, lambda) = (0.5, 1e-3);
        for _ in 0..400 {
            let mut gw = vec![0.0; d];
            let mut gb = 0.0;
            for (x, y) in &z {
                let p = sigmoid(b + w.iter().zip(x).map(|(a, b)| a * b).sum::<f64>());
                let cw = if *y > 0.5 { w_pos } else { w_neg };
                let err = cw * (p - y);
                for (g, xi) in gw.iter_mut().zip(x) {
                    *g += err * xi;
                }
                gb += err;
            }
            for (wi, g) in w.iter_mut().zip(&gw) {
                *wi -= rate * (g / n + lambda * *wi);
            }
            b -= rate * gb / n;
        }
        let mut model = IntentModel {
            weights: w,
            bias: b,
            means,
            stds,
            auc: 0.5,
            train_rows: train.len(),
            test_rows: test.len(),
            base_rate: train_pos / z.len().max(1) as f64,
            leads_seen,
        };
        let scored: Vec<(f64, bool)> = test.iter().map(|e| (model.predict(&e.x), e.y)).collect();
        model.auc = auc(&scored);
        Ok(model)
    }

    /// Probability of becoming a customer (class-balanced, so 0.5 is the
    /// neutral point rather than the base rate).
    pub fn predict(&self, x: &[f64]) -> f64 {
        sigmoid(self.bias + self.contributions(x).iter().sum::<f64>())
    }

    /// Each feature's contribution to the log-odds, in [`FEATURES`] order.
    pub fn contributions(&self, x: &[f64]) -> Vec<f64> {
        x.iter()
            .zip(&self.means)
            .zip(&self.stds)
            .zip(&self.weights)
            .map(|(((x, m), s), w)| w * (x - m) / s)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic pseudo-random numbers (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % 10_000) as f64 / 10_000.0
        }
    }

    fn examples(n: usize) -> Vec<Example> {
        let mut r = Rng(42);
        (0..n)
            .map(|i| {
                let score = r.next() * 100.0;
                let pricing = f64::from(r.next() < 0.3);
                let noise = r.next();
                let x = vec![
                    score,
                    (r.next() * 6.0).floor(),
                    (r.next() * 4.0).floor(),
                    r.next() * 2.0 - 1.0,
                    pricing,
                    f64::from(r.next() < 0.2),
                    0.0,
                    1.0,
                    f64::from(r.next() < 0.5),
                    0.0,
                    1.0,
                ];
                let y = score / 100.0 + pricing * 0.4 + noise * 0.6 > 1.0;
                Example {
                    key: format!("lead_{i}"),
                    x,
                    y,
                }
            })
            .collect()
    }

    #[test]
    fn auc_of_perfect_random_and_inverted_rankings() {
        let perfect = [(0.1, false), (0.2, false), (0.8, true), (0.9, true)];
        assert!((auc(&perfect) - 1.0).abs() < 1e-12);
        let inverted = [(0.9, false), (0.8, false), (0.2, true), (0.1, true)];
        assert!(auc(&inverted).abs() < 1e-12);
        let constant = [(0.5, false), (0.5, true), (0.5, false), (0.5, true)];
        assert!((auc(&constant) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn learns_a_signal_and_beats_a_constant_predictor() {
        let ex = examples(2000);
        let m = IntentModel::train(&ex, 2000).unwrap();
        assert!(m.auc > 0.8, "auc {}", m.auc);
        assert!(m.weights[0] > 0.0 && m.weights[4] > 0.0, "{:?}", m.weights);
        assert_eq!(m.train_rows + m.test_rows, 2000);
        let hot = m.predict(&[95.0, 3.0, 1.0, 0.5, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
        let cold = m.predict(&[5.0, 0.0, 1.0, -0.5, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 1.0]);
        assert!(hot > 0.7 && cold < 0.3, "{hot} {cold}");
    }

    #[test]
    fn too_little_history_is_refused() {
        let ex: Vec<Example> = examples(30)
            .into_iter()
            .map(|mut e| {
                e.y = false;
                e
            })
            .collect();
        assert!(matches!(
            IntentModel::train(&ex, 30),
            Err(TrainError::NotEnough { positives: 0, .. })
        ));
    }

    #[test]
    fn the_split_is_stable_and_about_a_quarter() {
        let held = (0..4000)
            .filter(|i| is_held_out(&format!("lead_{i}")))
            .count();
        assert!((800..1200).contains(&held), "{held}");
        assert_eq!(is_held_out("lead_7"), is_held_out("lead_7"));
    }
}
