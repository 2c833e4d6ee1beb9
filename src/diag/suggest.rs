//! "Did you mean …?" for misspelt keys and enum values.

/// The closest candidate to `word`, if it is close enough to be a plausible typo.
///
/// Damerau-Levenshtein counts a transposition (`usres` → `users`) as one edit. The
/// threshold grows with the word so that short words do not match everything, and
/// a case-insensitive match (`rampup` → `rampUp`) always counts.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let max = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter_map(|c| {
            let distance = if c.to_lowercase() == lower {
                0
            } else {
                strsim::damerau_levenshtein(&lower, &c.to_lowercase())
            };
            (distance <= max).then_some((distance, c))
        })
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::did_you_mean;

    #[test]
    fn finds_typos_and_case_slips() {
        let keys = ["users", "arrivalRate", "generators", "duration", "rampUp"];
        assert_eq!(did_you_mean("usres", keys), Some("users"));
        assert_eq!(did_you_mean("rampup", keys), Some("rampUp"));
        assert_eq!(did_you_mean("generator", keys), Some("generators"));
        assert_eq!(
            did_you_mean("gatlin", ["jmeter", "k6", "gatling"]),
            Some("gatling")
        );
    }

    #[test]
    fn rejects_unrelated_words() {
        assert_eq!(did_you_mean("color", ["users", "rampUp"]), None);
        assert_eq!(did_you_mean("x", ["k6"]), None);
    }
}
