//! Exact load splitting: a total (users, threads, arrival rate) over N generators.
//!
//! Users ask for a total. JMeter and Gatling run the whole injection profile on every
//! worker, so each worker must be given its share; k6 partitions load itself when each
//! runner is given an execution segment. Shard `i` of `T` over `N` gets
//! `floor(T/N) + (1 if i < T mod N)`: the shares sum to exactly `T` and differ by at
//! most one. (The seed's `ceil(T/N)` per runner overshoots: 3000 over 7 ran 3003.)

/// A total divided over a number of generators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadSplit {
    pub total: u64,
    pub shards: u32,
}

impl LoadSplit {
    /// Split `total` over `shards` generators (`shards` is at least 1).
    pub fn new(total: u64, shards: u32) -> Self {
        LoadSplit {
            total,
            shards: shards.max(1),
        }
    }

    /// What every shard gets at least.
    pub fn base(&self) -> u64 {
        self.total / u64::from(self.shards)
    }

    /// How many shards (the first ones) get one more than [`base`](Self::base).
    pub fn remainder(&self) -> u64 {
        self.total % u64::from(self.shards)
    }

    /// Shard `i`'s share.
    pub fn share(&self, i: u32) -> u64 {
        self.base() + u64::from(u64::from(i) < self.remainder())
    }

    /// Every shard's share, in index order.
    pub fn shares(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.shards).map(|i| self.share(i))
    }

    /// One line for a reviewer, e.g. `3000 over 7: 4 x 429, 3 x 428`. Constant size
    /// whatever N is, so it can sit in an annotation on every workload.
    pub fn summary(&self) -> String {
        let (n, r) = (u64::from(self.shards), self.remainder());
        if r == 0 {
            format!("{} over {n}: {n} x {}", self.total, self.base())
        } else {
            format!(
                "{} over {n}: {r} x {}, {} x {}",
                self.total,
                self.base() + 1,
                n - r,
                self.base()
            )
        }
    }

    /// The summary of a split into equal fractions, as k6 execution segments split an
    /// arrival rate: runner `i` of `N` runs `total/N` iterations per time unit (k6
    /// staggers the iterations so the runners add up to exactly `total`), e.g.
    /// `20 over 3: 3 x 6.667 (20/3)`.
    pub fn fractional_summary(&self) -> String {
        let n = u64::from(self.shards);
        if self.total.is_multiple_of(n) {
            return format!("{} over {n}: {n} x {}", self.total, self.base());
        }
        // Rates and runner counts are far below 2^52: exact in an f64 and in the text.
        #[allow(clippy::cast_precision_loss)]
        let each = self.total as f64 / n as f64;
        format!("{} over {n}: {n} x {each:.3} ({}/{n})", self.total, self.total)
    }

    /// The env vars a pod computes its share from with [`shell_share`]: `<P>_BASE`
    /// and `<P>_REMAINDER`. Numbers live in env, not in script text, so scaling a
    /// plan changes these values and never the script.
    pub fn env(&self, prefix: &str) -> [(String, String); 2] {
        [
            (format!("{prefix}_BASE"), self.base().to_string()),
            (format!("{prefix}_REMAINDER"), self.remainder().to_string()),
        ]
    }
}

/// A POSIX `sh` arithmetic expansion for the share of the shard whose index is in
/// `$<index_var>`, from the env vars of [`LoadSplit::env`] with `prefix`. Every pod
/// of a workload shares one template, so this constant expression replaces a
/// per-pod table. Arguments must be shell identifiers (perfplan's own constants).
pub fn shell_share(index_var: &str, prefix: &str) -> String {
    debug_assert!(
        [index_var, prefix]
            .iter()
            .all(|v| v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    );
    format!("$(( {prefix}_BASE + ( {index_var} < {prefix}_REMAINDER ? 1 : 0 ) ))")
}

/// Split `total` over parties in proportion to `weights` exactly (the largest
/// remainder method): each gets the floor of its quota `total * w / sum(w)`, and the
/// units left over go to the largest fractional parts, ties to the earlier party.
/// The shares sum to `total`, and each differs from its quota by less than one.
/// With every weight zero, or none, the shares are all zero (and so sum to
/// `total` only when it is zero; callers check weights are positive).
pub fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|w| u128::from(*w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<u128> = weights
        .iter()
        .map(|w| u128::from(total) * u128::from(*w))
        .collect();
    let mut shares: Vec<u64> = exact.iter().map(|e| (e / sum) as u64).collect();
    let left = total - shares.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    // Largest remainder first; the sort is stable, so ties keep plan order.
    order.sort_by_key(|&i| std::cmp::Reverse(exact[i] % sum));
    for &i in order.iter().take(left as usize) {
        shares[i] += 1;
    }
    shares
}

/// Like [`apportion`], but every party gets at least one (`total` must be at least
/// the number of parties): one each first, the rest in proportion.
pub fn apportion_at_least_one(total: u64, weights: &[u64]) -> Vec<u64> {
    let n = weights.len() as u64;
    apportion(total.saturating_sub(n), weights)
        .into_iter()
        .map(|s| s + 1)
        .collect()
}

/// k6's execution segment of runner `i` of `n`: `i/n:(i+1)/n`, with `0` and `1`
/// written plainly (`0:1/3`, `1/3:2/3`, `2/3:1`).
pub fn k6_segment(i: u32, n: u32) -> String {
    format!("{}:{}", k6_fraction(i, n), k6_fraction(i + 1, n))
}

/// k6's execution segment sequence for `n` equal runners: `0,1/n,…,1`. Giving every
/// runner the same sequence lets k6 partition VUs and iterations exactly across them.
pub fn k6_sequence(n: u32) -> String {
    (0..=n).map(|i| k6_fraction(i, n)).collect::<Vec<_>>().join(",")
}

fn k6_fraction(i: u32, n: u32) -> String {
    match i {
        0 => "0".to_owned(),
        i if i == n => "1".to_owned(),
        i => format!("{i}/{n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_seeds_overshoot_case_is_exact() {
        let split = LoadSplit::new(3000, 7);
        assert_eq!(
            split.shares().collect::<Vec<_>>(),
            vec![429, 429, 429, 429, 428, 428, 428]
        );
        assert_eq!(split.shares().sum::<u64>(), 3000);
        assert_eq!(split.summary(), "3000 over 7: 4 x 429, 3 x 428");
        assert_eq!(LoadSplit::new(3000, 3).summary(), "3000 over 3: 3 x 1000");
    }

    #[test]
    fn a_rate_split_by_execution_segments_is_fractional() {
        // What k6 really runs: each of 3 runners 20/3 iterations/s, not 7, 7 and 6.
        assert_eq!(
            LoadSplit::new(20, 3).fractional_summary(),
            "20 over 3: 3 x 6.667 (20/3)"
        );
        assert_eq!(LoadSplit::new(30, 3).fractional_summary(), "30 over 3: 3 x 10");
        assert_eq!(
            LoadSplit::new(1, 4).fractional_summary(),
            "1 over 4: 4 x 0.250 (1/4)"
        );
    }

    #[test]
    fn apportion_by_share() {
        assert_eq!(apportion(3000, &[60, 40]), vec![1800, 1200]);
        // 1000 over 1:1:1: quotas 333.33 each; the one left over goes to the first.
        assert_eq!(apportion(1000, &[1, 1, 1]), vec![334, 333, 333]);
        // 10 over 2:1: quotas 6.67, 3.33.
        assert_eq!(apportion(10, &[2, 1]), vec![7, 3]);
        // 5 over 5:1: quotas 4.17, 0.83; the unit left over goes to the larger
        // fractional part (0.83), not to the larger quota. Catches ordering by
        // `exact / sum` or `exact + sum` instead of `exact % sum`, which the quota
        // property below misses unless some quota happens to be a whole number.
        assert_eq!(apportion(5, &[5, 1]), vec![4, 1]);
        assert_eq!(apportion_at_least_one(5, &[99, 1]), vec![4, 1]);
    }

    #[test]
    fn k6_segments_cover_zero_to_one() {
        assert_eq!(k6_segment(0, 3), "0:1/3");
        assert_eq!(k6_segment(1, 3), "1/3:2/3");
        assert_eq!(k6_segment(2, 3), "2/3:1");
        assert_eq!(k6_segment(0, 1), "0:1");
        assert_eq!(k6_sequence(3), "0,1/3,2/3,1");
        assert_eq!(k6_sequence(1), "0,1");
    }

    #[test]
    fn the_shell_expression_computes_the_same_shares_in_sh() {
        for (total, n) in [(3000u64, 7u32), (1000, 3), (5, 5), (1_000_000, 9_999), (7, 1)] {
            let split = LoadSplit::new(total, n);
            let indices: Vec<u32> = [0, 1, n / 2, n - 1].into_iter().filter(|i| *i < n).collect();
            for i in indices {
                let script = format!("i={i}; echo {}", shell_share("i", "USERS"));
                let out = std::process::Command::new("sh")
                    .arg("-c")
                    .arg(&script)
                    .envs(split.env("USERS"))
                    .output()
                    .unwrap();
                let got: u64 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
                assert_eq!(got, split.share(i), "{script}");
            }
        }
    }

    proptest! {
        #[test]
        fn shares_sum_exactly_and_differ_by_at_most_one(total in 0u64..=1_000_000, n in 1u32..=10_000) {
            let split = LoadSplit::new(total, n);
            let shares: Vec<u64> = split.shares().collect();
            prop_assert_eq!(shares.len(), n as usize);
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            let (min, max) = (*shares.iter().min().unwrap(), *shares.iter().max().unwrap());
            prop_assert!(max - min <= 1);
            // Larger shares come first, so shard i's share depends only on i, T and N.
            prop_assert!(shares.windows(2).all(|w| w[0] >= w[1]));
        }

        #[test]
        fn apportioned_shares_sum_exactly_and_stay_within_one_of_their_quota(
            total in 0u64..=10_000_000,
            weights in prop::collection::vec(1u64..=1_000, 1..=32),
        ) {
            let shares = apportion(total, &weights);
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            let sum: u64 = weights.iter().sum();
            for (s, w) in shares.iter().zip(&weights) {
                let quota = total as f64 * *w as f64 / sum as f64;
                prop_assert!((*s as f64 - quota).abs() < 1.0, "share {} quota {}", s, quota);
            }
            // Largest remainder, exactly: a party given one over the floor of its quota
            // has a larger fractional part than every party that was not, or an equal
            // one and an earlier place. (Any other choice also stays within one of the
            // quotas, so the check above cannot tell.)
            let exact = |i: usize| u128::from(total) * u128::from(weights[i]);
            let floor = |i: usize| exact(i) / u128::from(sum);
            let fraction = |i: usize| exact(i) % u128::from(sum);
            let (up, down): (Vec<usize>, Vec<usize>) =
                (0..weights.len()).partition(|&i| u128::from(shares[i]) > floor(i));
            for &i in &up {
                for &j in &down {
                    prop_assert!(fraction(i) > fraction(j) || (fraction(i) == fraction(j) && i < j),
                        "party {} got the unit over party {}: {:?} of {} by {:?}", i, j, shares, total, weights);
                }
            }
        }

        #[test]
        fn at_least_one_each(total in 32u64..=100_000, weights in prop::collection::vec(1u64..=1_000, 1..=32)) {
            let shares = apportion_at_least_one(total, &weights);
            prop_assert_eq!(shares.iter().sum::<u64>(), total);
            prop_assert!(shares.iter().all(|s| *s >= 1));
        }

        #[test]
        fn segments_tile_the_unit_interval(n in 1u32..=2_000) {
            let seq: Vec<String> = k6_sequence(n).split(',').map(str::to_owned).collect();
            prop_assert_eq!(seq.len(), n as usize + 1);
            for i in 0..n {
                let segment = k6_segment(i, n);
                let (from, to) = segment.split_once(':').unwrap();
                prop_assert_eq!(from, &seq[i as usize]);
                prop_assert_eq!(to, &seq[i as usize + 1]);
            }
        }
    }
}
