//! Trask's `pre_process_data`: word counts per label, the positive-to-negative polarity of
//! frequent words, and the vocabulary cut (`min_count`, `polarity_cutoff`); then each review
//! as the set of vocabulary indices it contains (his `training_reviews`).

use std::collections::HashMap;

use serde::Serialize;

use super::error::{Result, SkNetError};
use super::tokenizer::trask_words;

/// Words counted at least this often get a polarity (Trask's `cnt >= 50`).
pub const POLARITY_MIN_COUNT: u64 = 50;

/// Trask's polarity of a word from its counts in positive and negative reviews:
/// `r = pos / (neg + 1)`, then `ln r` if `r > 1`, else `-ln(1 / (r + 0.01))`.
pub fn polarity(pos: u64, neg: u64) -> f64 {
    let ratio = pos as f64 / (neg as f64 + 1.0);
    if ratio > 1.0 {
        ratio.ln()
    } else {
        -(1.0 / (ratio + 0.01)).ln()
    }
}

/// The reviews as vocabulary indices, with their labels.
#[derive(Debug, Clone)]
pub struct PreparedData {
    /// Vocabulary words, sorted (Trask's order is that of a Python set, which does not
    /// matter: all rows of `weights_0_1` start equal).
    pub words: Vec<String>,
    /// The distinct vocabulary indices of each review, ascending.
    pub reviews: Vec<Vec<u32>>,
    /// `true` = positive.
    pub labels: Vec<bool>,
    pub stats: VocabStats,
}

/// Counts behind the vocabulary.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VocabStats {
    /// Distinct `split(" ")` tokens, `""` and `"."` included (Trask's `len(total_counts)`).
    pub distinct_tokens: usize,
    /// Tokens counted at least [`POLARITY_MIN_COUNT`] times (those with a polarity).
    pub with_polarity: usize,
    /// Vocabulary size after the cut.
    pub vocab_size: usize,
    /// Reviews with no vocabulary word.
    pub empty_reviews: usize,
    /// Total tokens.
    pub tokens: u64,
    pub min_count: u64,
    pub polarity_cutoff: f64,
}

impl PreparedData {
    /// Builds Trask's vocabulary from `lines` (lines of `reviews.txt`) and `labels`: a word
    /// is kept if it occurs more than `min_count` times and, when it has a polarity, if
    /// `|polarity| ≥ polarity_cutoff`.
    pub fn new<S: AsRef<str>>(
        lines: &[S],
        labels: &[bool],
        min_count: u64,
        polarity_cutoff: f64,
    ) -> Result<Self> {
        if lines.len() != labels.len() {
            return Err(SkNetError::LengthMismatch {
                reviews: lines.len(),
                labels: labels.len(),
            });
        }
        if !(polarity_cutoff.is_finite() && polarity_cutoff >= 0.0) {
            return Err(SkNetError::InvalidConfig {
                field: "polarity_cutoff",
                value: polarity_cutoff.to_string(),
                valid: "finite and ≥ 0",
            });
        }
        // (positive count, negative count) per token.
        let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut tokens = 0u64;
        for (line, &pos) in lines.iter().zip(labels) {
            for w in trask_words(line.as_ref()) {
                let e = counts.entry(w).or_default();
                if pos {
                    e.0 += 1;
                } else {
                    e.1 += 1;
                }
                tokens += 1;
            }
        }
        let mut with_polarity = 0;
        let mut words: Vec<String> = Vec::new();
        for (&w, &(p, n)) in &counts {
            let total = p + n;
            let has_polarity = total >= POLARITY_MIN_COUNT;
            with_polarity += usize::from(has_polarity);
            if total > min_count && (!has_polarity || polarity(p, n).abs() >= polarity_cutoff) {
                words.push(w.to_string());
            }
        }
        words.sort_unstable();
        let index: HashMap<&str, u32> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (w.as_str(), i as u32))
            .collect();
        let mut empty_reviews = 0;
        let reviews: Vec<Vec<u32>> = lines
            .iter()
            .map(|line| {
                let mut idx: Vec<u32> = trask_words(line.as_ref())
                    .filter_map(|w| index.get(w).copied())
                    .collect();
                idx.sort_unstable();
                idx.dedup();
                empty_reviews += usize::from(idx.is_empty());
                idx
            })
            .collect();
        let stats = VocabStats {
            distinct_tokens: counts.len(),
            with_polarity,
            vocab_size: words.len(),
            empty_reviews,
            tokens,
            min_count,
            polarity_cutoff,
        };
        Ok(Self {
            words,
            reviews,
            labels: labels.to_vec(),
            stats,
        })
    }

    pub fn len(&self) -> usize {
        self.reviews.len()
    }
    pub fn is_empty(&self) -> bool {
        self.reviews.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polarity_matches_trask() {
        // 'amazing' in the Udacity notebook: ratio 1058/263 = 4.0228..., log 1.3919...
        assert!((polarity(1058, 262) - 4.022813688212928f64.ln()).abs() < 1e-12);
        // A negative word: ratio < 1 uses -ln(1/(r + 0.01)).
        let r = 10.0 / 91.0;
        assert!((polarity(10, 90) - (r + 0.01f64).ln()).abs() < 1e-12);
        assert!(polarity(0, 100) < -4.6);
    }

    #[test]
    fn vocabulary_cut() {
        // "good" 60× in positive reviews only, "bad" 60× in negative ones, "the" 60× evenly,
        // "rare" 30× (no polarity, kept), "once" once (dropped).
        let mut lines = Vec::new();
        let mut labels = Vec::new();
        for i in 0..60 {
            let pos = i % 2 == 0;
            let mut s = String::from(if pos { "good the" } else { "bad the" });
            if pos {
                s.push_str(" good");
            } else {
                s.push_str(" bad");
            }
            if i < 30 {
                s.push_str(" rare");
            }
            if i == 0 {
                s.push_str(" once");
            }
            lines.push(s);
            labels.push(pos);
        }
        let d = PreparedData::new(&lines, &labels, 20, 0.15).unwrap();
        assert_eq!(d.words, ["bad", "good", "rare"]);
        assert_eq!(d.reviews[0], [1, 2]);
        assert_eq!(d.reviews[1], [0, 2]);
        assert_eq!(d.stats.vocab_size, 3);
        assert!(PreparedData::new(&lines, &labels[1..], 20, 0.15).is_err());
    }
}
