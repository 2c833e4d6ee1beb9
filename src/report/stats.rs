//! Exact statistics over samples: counting histograms that merge by adding counts.
//!
//! Every latency is kept at the tools' own resolution, integer microseconds (JMeter
//! and Gatling write whole milliseconds, k6 milliseconds with fractions), counted per
//! distinct value. Merging generators adds their counts, so a merged percentile is
//! the percentile of every sample of the test, never an average of per-generator
//! percentiles (which is not a percentile of anything). Memory grows with the number
//! of distinct latency values, not with the number of samples.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Latencies in integer microseconds, each distinct value with how often it occurs.
/// A hash map, not a sorted one: a million samples are a million inserts, and
/// order is needed only for percentiles, which sort the distinct values once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Histogram {
    counts: HashMap<u64, u64, Fast>,
    total: u64,
    sum: u128,
    min: Option<u64>,
    max: Option<u64>,
}

impl Histogram {
    /// Count one latency.
    pub fn record(&mut self, micros: u64) {
        *self.counts.entry(micros).or_insert(0) += 1;
        self.total += 1;
        self.sum += u128::from(micros);
        self.min = Some(self.min.map_or(micros, |m| m.min(micros)));
        self.max = Some(self.max.map_or(micros, |m| m.max(micros)));
    }

    /// Add every count of `other`: the histogram of both sets of samples together.
    pub fn merge(&mut self, other: &Histogram) {
        for (&value, &count) in &other.counts {
            *self.counts.entry(value).or_insert(0) += count;
        }
        self.total += other.total;
        self.sum += other.sum;
        self.min = [self.min, other.min].into_iter().flatten().min();
        self.max = [self.max, other.max].into_iter().flatten().max();
    }

    /// How many latencies were counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// How many distinct values are held (what the memory grows with).
    pub fn distinct(&self) -> usize {
        self.counts.len()
    }

    pub fn min(&self) -> Option<u64> {
        self.min
    }

    pub fn max(&self) -> Option<u64> {
        self.max
    }

    /// The arithmetic mean, in microseconds.
    pub fn mean(&self) -> Option<f64> {
        // Precision: a u128 sum of realistic latencies is far below 2^53 µs per sample.
        #[allow(clippy::cast_precision_loss)]
        (self.total > 0).then(|| self.sum as f64 / self.total as f64)
    }

    /// The `q` quantile (0 to 1) in microseconds, defined as k6 defines it, so a
    /// single runner's report agrees with its own end-of-test summary: k6's
    /// `TrendSink.P` (package `go.k6.io/k6/metrics`, file `sink.go`) sorts the values
    /// and interpolates linearly between the closest ranks, `i = q·(n−1)`,
    /// `v[⌊i⌋] + (v[⌈i⌉] − v[⌊i⌋])·(i − ⌊i⌋)`; this is also numpy's default and R's
    /// type 7. Here the ranks are found by walking the sorted distinct values.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        self.quantiles(&[q])[0]
    }

    /// Several quantiles, sorting the distinct values once.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<Option<f64>> {
        let mut sorted: Vec<(u64, u64)> = self.counts.iter().map(|(&v, &c)| (v, c)).collect();
        sorted.sort_unstable();
        qs.iter().map(|&q| self.quantile_of(&sorted, q)).collect()
    }

    fn quantile_of(&self, sorted: &[(u64, u64)], q: f64) -> Option<f64> {
        if self.total == 0 || !(0.0..=1.0).contains(&q) {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        let i = q * (self.total - 1) as f64;
        let floor = i.floor();
        // 0 ≤ i ≤ total − 1, so both ranks are within the counts.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let (lo, hi) = (floor as u64, i.ceil() as u64);
        let (j, k) = at_ranks(sorted, lo, hi)?;
        #[allow(clippy::cast_precision_loss)]
        let (j, k) = (j as f64, k as f64);
        Some(j + (k - j) * (i - floor))
    }
}

/// The values at two 0-based ranks of the sorted samples (`lo ≤ hi`), in one walk.
fn at_ranks(sorted: &[(u64, u64)], lo: u64, hi: u64) -> Option<(u64, u64)> {
    let mut seen = 0u64;
    let mut low = None;
    for &(value, count) in sorted {
        seen += count;
        if low.is_none() && lo < seen {
            low = Some(value);
        }
        if hi < seen {
            return low.map(|l| (l, value));
        }
    }
    None
}

/// A fast hash for integer keys and short names (FxHash's step: rotate, xor,
/// multiply). Result files are the user's own, so flooding is not a concern.
pub type Fast = BuildHasherDefault<FastHasher>;

#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl FastHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        self.add(u64::from_le_bytes(word) ^ (rest.len() as u64) << 56);
    }

    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }

    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
}

/// The samples of one group (a generator, a request, a whole test): their latencies,
/// how many failed, and when the first started and the last ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Series {
    pub latency: Histogram,
    pub failed: u64,
    /// The earliest start, in microseconds since the Unix epoch.
    pub first_start: Option<i64>,
    /// The latest end (start + duration), in microseconds since the Unix epoch.
    pub last_end: Option<i64>,
}

impl Series {
    /// Count one sample.
    pub fn record(&mut self, start: i64, duration: u64, ok: bool) {
        self.latency.record(duration);
        if !ok {
            self.failed += 1;
        }
        let end = start.saturating_add_unsigned(duration);
        self.first_start = Some(self.first_start.map_or(start, |s| s.min(start)));
        self.last_end = Some(self.last_end.map_or(end, |e| e.max(end)));
    }

    /// Both series as one.
    pub fn merge(&mut self, other: &Series) {
        self.latency.merge(&other.latency);
        self.failed += other.failed;
        self.first_start = min_opt(self.first_start, other.first_start);
        self.last_end = match (self.last_end, other.last_end) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    pub fn requests(&self) -> u64 {
        self.latency.count()
    }

    /// Seconds from the first start to the last end; `None` without samples.
    pub fn span_seconds(&self) -> Option<f64> {
        let (start, end) = (self.first_start?, self.last_end?);
        // In i128: damaged input may hold timestamps at both ends of i64.
        #[allow(clippy::cast_precision_loss)]
        Some((i128::from(end) - i128::from(start)) as f64 / 1e6)
    }

    /// The figures a report shows, with throughput over `span` seconds (the whole
    /// test's, so the rates of the parts add up to the rate of the whole).
    pub fn stats(&self, span: Option<f64>) -> Stats {
        let n = self.requests();
        let ms = |us: Option<f64>| us.map(millis);
        let q = self.latency.quantiles(&[0.50, 0.90, 0.95, 0.99]);
        #[allow(clippy::cast_precision_loss)]
        Stats {
            requests: n,
            failed: self.failed,
            error_rate: (n > 0).then(|| self.failed as f64 / n as f64),
            throughput: span.filter(|s| *s > 0.0).map(|s| n as f64 / s),
            min: ms(self.latency.min().map(|v| v as f64)),
            mean: ms(self.latency.mean()),
            p50: ms(q[0]),
            p90: ms(q[1]),
            p95: ms(q[2]),
            p99: ms(q[3]),
            max: ms(self.latency.max().map(|v| v as f64)),
        }
    }
}

/// Microseconds as milliseconds, rounded to the nanosecond so that interpolation
/// leaves no binary noise (`343.37140000000005`) in what people and programs read.
pub fn millis(micros: f64) -> f64 {
    (micros * 1000.0).round() / 1e6
}

fn min_opt(a: Option<i64>, b: Option<i64>) -> Option<i64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// What a report shows for a group of samples. Latencies in milliseconds; `None`
/// where there is nothing to measure (no samples, or samples spanning no time).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    pub requests: u64,
    pub failed: u64,
    /// Failed over all, 0 to 1.
    pub error_rate: Option<f64>,
    /// Samples per second over the whole test's span.
    #[serde(rename = "throughput_per_second")]
    pub throughput: Option<f64>,
    pub min: Option<f64>,
    pub mean: Option<f64>,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn histogram(values: &[u64]) -> Histogram {
        let mut h = Histogram::default();
        values.iter().for_each(|&v| h.record(v));
        h
    }

    /// The textbook definition on a sorted copy, independent of the histogram walk.
    fn r7(values: &[u64], q: f64) -> f64 {
        let mut v: Vec<f64> = values.iter().map(|&x| x as f64).collect();
        v.sort_by(f64::total_cmp);
        let h = (v.len() - 1) as f64 * q;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        v[lo] + (h - h.floor()) * (v[hi] - v[lo])
    }

    #[test]
    fn quantiles_match_hand_computed_values() {
        // 1..=10: numpy.percentile(range(1, 11), [50, 90, 95, 99]) = 5.5, 9.1, 9.55, 9.91.
        let h = histogram(&[10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
        let near = |a: Option<f64>, b: f64| (a.unwrap() - b).abs() < 1e-9;
        assert!(near(h.quantile(0.5), 5.5));
        assert!(near(h.quantile(0.9), 9.1));
        assert!(near(h.quantile(0.95), 9.55));
        assert!(near(h.quantile(0.99), 9.91));
        assert_eq!(h.quantile(1.0), Some(10.0));
        assert_eq!(h.quantile(0.0), Some(1.0));
        assert_eq!((h.min(), h.max(), h.mean()), (Some(1), Some(10), Some(5.5)));
        // Repeated values: [1, 1, 1, 100]: i = 0.9·3 = 2.7 → 1 + 0.7·99 = 70.3.
        assert!(near(histogram(&[100, 1, 1, 1]).quantile(0.9), 70.3));
    }

    #[test]
    fn empty_and_single_sample() {
        let empty = Histogram::default();
        assert_eq!(
            (empty.quantile(0.5), empty.mean(), empty.max()),
            (None, None, None)
        );
        let one = histogram(&[42]);
        assert_eq!((one.quantile(0.5), one.quantile(0.99)), (Some(42.0), Some(42.0)));
        assert_eq!(one.quantile(1.5), None, "outside 0..=1");
        let s = Series::default().stats(None);
        assert_eq!(
            (s.requests, s.error_rate, s.throughput, s.p95),
            (0, None, None, None)
        );
    }

    #[test]
    fn throughput_is_over_the_given_span_and_error_rate_over_all() {
        let mut s = Series::default();
        s.record(0, 500_000, true);
        s.record(1_000_000, 1_000_000, false);
        assert_eq!(s.span_seconds(), Some(2.0));
        let stats = s.stats(s.span_seconds());
        assert_eq!((stats.throughput, stats.error_rate), (Some(1.0), Some(0.5)));
        assert_eq!(s.stats(Some(0.0)).throughput, None, "no time, no rate");
    }

    proptest! {
        #[test]
        fn quantiles_equal_the_sorted_definition(
            values in prop::collection::vec(0u64..5_000, 1..300),
            q in 0.0f64..=1.0,
        ) {
            let got = histogram(&values).quantile(q).unwrap();
            let want = r7(&values, q);
            prop_assert!((got - want).abs() <= 1e-9 * want.max(1.0), "{got} vs {want}");
        }

        #[test]
        fn merging_equals_computing_over_the_concatenation(
            a in prop::collection::vec((0i64..10_000_000, 0u64..100_000, any::<bool>()), 0..200),
            b in prop::collection::vec((0i64..10_000_000, 0u64..100_000, any::<bool>()), 0..200),
        ) {
            let series = |samples: &[(i64, u64, bool)]| {
                let mut s = Series::default();
                samples.iter().for_each(|&(t, d, ok)| s.record(t, d, ok));
                s
            };
            let mut merged = series(&a);
            merged.merge(&series(&b));
            let both: Vec<_> = a.iter().chain(&b).copied().collect();
            prop_assert_eq!(&merged, &series(&both));
            prop_assert_eq!(merged.stats(Some(1.0)), series(&both).stats(Some(1.0)));
        }
    }
}
