//! The histogram of a `record` tally (docs/experiments.md, "Histograms"):
//! at most [`Histogram::MAX_BINS`] bins of one width, a power of two, on a
//! grid aligned to that width. Because the grid of a coarser width is a
//! grid of pairs of bins of every finer one, the histograms of several runs
//! pool exactly into the histogram of all their samples ([`Histogram::pool`]),
//! without the samples: replications and `usimc merge` stay exact.

/// A tally's finite samples in bins. Bin `i` (from 0) covers
/// `[(first + i) * width, (first + i + 1) * width)`, `width` being
/// `2^exponent`; `counts[i]` samples fell in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The least and the greatest finite sample.
    pub min: f64,
    pub max: f64,
    pub exponent: i32,
    pub first: i64,
    pub counts: Vec<u64>,
}

/// The least and greatest exponent of a width: normal floats only.
const MIN_EXPONENT: i32 = -1022;
const MAX_EXPONENT: i32 = 1023;

/// Bin indexes stay within ±2^53, where every integer is a float.
const MAX_INDEX: f64 = 9_007_199_254_740_992.0;

/// `2^k`, exactly, for `k` in `MIN_EXPONENT..=MAX_EXPONENT`.
fn pow2(k: i32) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// The exponent `e` of a positive finite `x`, `2^e <= x < 2^(e+1)`, at least
/// [`MIN_EXPONENT`].
fn binade(x: f64) -> i32 {
    let biased = ((x.to_bits() >> 52) & 0x7ff) as i32;
    (biased - 1023).max(MIN_EXPONENT)
}

/// `2^-k`, exactly, for `k` in `MIN_EXPONENT..=MAX_EXPONENT` (2^-1023 is subnormal).
fn inverse_pow2(k: i32) -> f64 {
    if k >= MAX_EXPONENT {
        f64::from_bits(1 << 51)
    } else {
        pow2(-k)
    }
}

/// `floor(v)`, exactly, without a call: the baseline x86-64 has no floor
/// instruction, and `f64::floor` calls libm (the histogram of ten million
/// samples takes this per sample). A float from 2^52 on is a whole number.
#[inline]
fn floor(v: f64) -> f64 {
    if v.abs() < 4_503_599_627_370_496.0 {
        let t = v as i64 as f64;
        if t > v {
            t - 1.0
        } else {
            t
        }
    } else {
        v
    }
}

/// The index of the bin of width `2^k` holding `x`: `floor(x / 2^k)`.
#[inline]
fn index(x: f64, k: i32) -> f64 {
    bin_of(x, inverse_pow2(k))
}

/// `floor(x * scale)`, `scale` being `2^-k`.
#[inline]
fn bin_of(x: f64, scale: f64) -> f64 {
    // Multiplying by 2^-k is exact unless the result is subnormal, and then
    // the floor is 0 or -1 anyway (a negative x whose quotient rounded to
    // -0 still lies in bin -1).
    let q = floor(x * scale);
    if q == 0.0 && x < 0.0 {
        -1.0
    } else {
        q
    }
}

/// Whether `[min, max]` takes at most [`Histogram::MAX_BINS`] bins of width
/// `2^k`, with indexes in range.
fn fits(min: f64, max: f64, k: i32) -> bool {
    let (a, b) = (index(min, k), index(max, k));
    a.abs() <= MAX_INDEX && b.abs() <= MAX_INDEX && b - a < Histogram::MAX_BINS as f64
}

/// The exponent of the bins for samples from `min` to `max` (finite,
/// `min <= max`): the least that [`fits`]; for one value `x`, its binade
/// (width 1 for 0), which gives the single bin `[2^e floor(x / 2^e), ...)`.
fn exponent(min: f64, max: f64) -> i32 {
    if min == max {
        return if min == 0.0 { 0 } else { binade(min.abs()) };
    }
    // Half the range, which cannot overflow: 2^e <= half < 2^(e+1). Bins of
    // 2^(e - 6) <= range / 64 are too many, so the search starts below them.
    let half = max * 0.5 - min * 0.5;
    let mut k = (binade(half) - 7).max(MIN_EXPONENT);
    while k < MAX_EXPONENT && !fits(min, max, k) {
        k += 1;
    }
    k
}

impl Histogram {
    /// The most bins a histogram has. It has at least 17 when its samples
    /// are not all one value: half the width would need more than 32.
    pub const MAX_BINS: usize = 32;

    /// The width of each bin, `2^exponent`.
    pub fn width(&self) -> f64 {
        pow2(self.exponent)
    }

    /// Where the first bin begins.
    pub fn start(&self) -> f64 {
        self.first as f64 * self.width()
    }

    /// Samples in bins.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// An empty histogram over the bins of `[min, max]`.
    fn empty(min: f64, max: f64) -> Histogram {
        let exponent = exponent(min, max);
        let first = index(min, exponent);
        let bins = (index(max, exponent) - first) as usize + 1;
        Histogram { min, max, exponent, first: first as i64, counts: vec![0; bins] }
    }

    /// Adds `count` samples of value `x` (within `[min, max]`).
    fn add(&mut self, x: f64, count: u64) {
        let bin = (index(x, self.exponent) as i64 - self.first).clamp(0, self.counts.len() as i64 - 1);
        self.counts[bin as usize] += count;
    }

    /// The histogram of `samples`' finite values (NaN and infinities are
    /// in no bin); `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Histogram> {
        let finite = || samples.iter().copied().filter(|x| x.is_finite());
        let (min, max) = finite().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| (lo.min(x), hi.max(x)));
        if min > max {
            return None;
        }
        let mut histogram = Histogram::empty(min, max);
        let scale = inverse_pow2(histogram.exponent);
        let (first, last) = (histogram.first, histogram.counts.len() - 1);
        for x in finite() {
            let bin = (bin_of(x, scale) as i64 - first).clamp(0, last as i64) as usize;
            histogram.counts[bin] += 1;
        }
        Some(histogram)
    }

    /// The histogram of all the samples of `parts` (each made by
    /// [`Histogram::of`] or by this), exactly as [`Histogram::of`] would
    /// make it from those samples; `None` when there are no parts.
    pub fn pool(parts: &[&Histogram]) -> Option<Histogram> {
        let min = parts.iter().map(|h| h.min).fold(f64::INFINITY, f64::min);
        let max = parts.iter().map(|h| h.max).fold(f64::NEG_INFINITY, f64::max);
        if parts.is_empty() || min > max {
            return None;
        }
        let mut pooled = Histogram::empty(min, max);
        for part in parts {
            if part.min == part.max {
                // One value, known exactly: it goes wherever it belongs.
                pooled.add(part.min, part.total());
                continue;
            }
            // A finer grid nests in the pooled one: bin j of width 2^e lies
            // in bin floor(j / 2^(k - e)) of width 2^k. (Its samples' range
            // lies within the pooled one, so e <= k.)
            let shift = (pooled.exponent - part.exponent).clamp(0, 63) as u32;
            for (j, &count) in part.counts.iter().enumerate() {
                let bin = ((part.first + j as i64) >> shift) - pooled.first;
                let bin = bin.clamp(0, pooled.counts.len() as i64 - 1);
                pooled.counts[bin as usize] += count;
            }
        }
        Some(pooled)
    }

    /// A histogram as a report wrote it (`start`, `width`, the counts and
    /// the extremes), checked: the bins must be those [`Histogram::of`]
    /// makes for samples from `min` to `max`. (The start of the bins of a
    /// range near the largest floats may be infinite.)
    pub fn from_parts(min: f64, max: f64, start: f64, width: f64, counts: Vec<u64>) -> Option<Histogram> {
        if !(min.is_finite() && max.is_finite() && min <= max) {
            return None;
        }
        let expected = Histogram::empty(min, max);
        (expected.start() == start && expected.width() == width && expected.counts.len() == counts.len())
            .then_some(Histogram { counts, ..expected })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The bins straight from the definition: each sample's floor(x / w).
    fn naive(samples: &[f64], h: &Histogram) -> Vec<u64> {
        let mut counts = vec![0; h.counts.len()];
        for &x in samples.iter().filter(|x| x.is_finite()) {
            // A negative x whose quotient underflows to -0 is in bin -1 all the same.
            let q = (x / h.width()).floor();
            let q = if q == 0.0 && x < 0.0 { -1.0 } else { q };
            let bin = q as i64 - h.first;
            counts[bin as usize] += 1;
        }
        counts
    }

    #[test]
    fn floor_is_the_floor() {
        for v in [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.9999999999999996,
            -2.0000000000000004,
            4503599627370495.5,
            -4503599627370495.5,
            1e300,
            -1e300,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ] {
            assert_eq!(floor(v), v.floor(), "{v}");
        }
        assert_eq!(floor(f64::INFINITY), f64::INFINITY);
        assert_eq!(floor(f64::NEG_INFINITY), f64::NEG_INFINITY);
    }

    #[test]
    fn waits_from_0_to_24_take_bins_of_1() {
        let samples = [0.0, 0.5, 3.0, 23.9871, 7.25, 7.75];
        let h = Histogram::of(&samples).unwrap();
        assert_eq!((h.exponent, h.first, h.counts.len()), (0, 0, 24));
        assert_eq!((h.width(), h.start(), h.min, h.max), (1.0, 0.0, 0.0, 23.9871));
        assert_eq!(&h.counts[..8], &[2, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!(h.counts[23], 1);
        assert_eq!(h.total(), 6);
        // 0 to 32 exactly needs 33 bins of 1: bins of 2 instead.
        let h = Histogram::of(&[0.0, 32.0]).unwrap();
        assert_eq!((h.width(), h.counts.len(), h.counts[0], h.counts[16]), (2.0, 17, 1, 1));
        // -0.25 to 7.5 takes 32 bins of 1/4, the first [-0.25, 0).
        let h = Histogram::of(&[-0.25, 7.5]).unwrap();
        assert_eq!((h.width(), h.start(), h.counts.len()), (0.25, -0.25, 32));
    }

    #[test]
    fn one_value_is_one_bin_of_its_binade_and_nothing_finite_is_none() {
        let h = Histogram::of(&[3.0, 3.0, f64::NAN]).unwrap();
        assert_eq!((h.width(), h.start(), h.counts.clone()), (2.0, 2.0, vec![2]));
        let h = Histogram::of(&[0.0]).unwrap();
        assert_eq!((h.width(), h.start(), h.counts.clone()), (1.0, 0.0, vec![1]));
        let h = Histogram::of(&[-3.0]).unwrap();
        assert_eq!((h.width(), h.start()), (2.0, -4.0));
        assert_eq!(Histogram::of(&[]), None);
        assert_eq!(Histogram::of(&[f64::NAN, f64::INFINITY]), None);
        // Infinities are in no bin, and do not stretch the range.
        let h = Histogram::of(&[1.0, 2.0, f64::NEG_INFINITY]).unwrap();
        assert_eq!((h.min, h.max, h.total()), (1.0, 2.0, 2));
    }

    #[test]
    fn extreme_ranges_still_have_bins() {
        for samples in [
            vec![-f64::MAX, f64::MAX],
            vec![1e300, 1e300 * (1.0 + f64::EPSILON)],
            vec![5e-324, 1e-320],
            vec![-1e-20, 1e308],
            vec![1e15, 1e15 + 1.0, 1e15 + 3.0],
        ] {
            let h = Histogram::of(&samples).unwrap();
            assert!(h.counts.len() <= Histogram::MAX_BINS, "{samples:?}: {h:?}");
            assert_eq!(h.total(), samples.len() as u64, "{samples:?}: {h:?}");
            assert!(h.start() <= h.min, "{samples:?}: {h:?}");
            assert_eq!(
                Histogram::from_parts(h.min, h.max, h.start(), h.width(), h.counts.clone()),
                Some(h.clone()),
                "{samples:?}"
            );
        }
        // -1e-20 in bins of 2^1019 or so: bin -1, not 0.
        let h = Histogram::of(&[-1e-20, 1e308]).unwrap();
        assert_eq!(h.first, -1);
    }

    #[test]
    fn what_is_not_a_histogram_of_this_rule_is_refused() {
        assert_eq!(Histogram::from_parts(0.0, 23.0, 0.0, 3.0, vec![0; 8]), None);
        assert_eq!(Histogram::from_parts(0.0, 23.0, 0.5, 1.0, vec![0; 24]), None);
        assert_eq!(Histogram::from_parts(0.0, 23.0, 0.0, 2.0, vec![0; 12]), None);
        assert_eq!(Histogram::from_parts(0.0, 23.0, 0.0, 1.0, vec![0; 23]), None);
        assert!(Histogram::from_parts(0.0, 23.0, 0.0, 1.0, vec![0; 24]).is_some());
    }

    fn sample() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => -50.0..50.0f64,
            2 => (0u32..20).prop_map(|i| f64::from(i) * 0.5),
            1 => any::<f64>(),
            1 => Just(0.0),
            1 => Just(f64::NAN),
        ]
    }

    proptest! {
        #[test]
        fn floor_agrees_with_libm(v in any::<f64>()) {
            prop_assert!(floor(v) == v.floor() || (v.is_nan() && floor(v).is_nan()));
        }

        #[test]
        fn bins_hold_every_finite_sample_where_the_definition_puts_it(
            samples in proptest::collection::vec(sample(), 0..200)
        ) {
            let finite = samples.iter().filter(|x| x.is_finite()).count() as u64;
            match Histogram::of(&samples) {
                None => prop_assert_eq!(finite, 0),
                Some(h) => {
                    prop_assert!(!h.counts.is_empty() && h.counts.len() <= Histogram::MAX_BINS);
                    prop_assert_eq!(h.total(), finite);
                    if h.exponent < 900 {
                        prop_assert_eq!(&h.counts, &naive(&samples, &h));
                    }
                    // The least width that fits: half of it would not.
                    if h.min != h.max && h.exponent > MIN_EXPONENT {
                        prop_assert!(!fits(h.min, h.max, h.exponent - 1));
                    }
                }
            }
        }

        #[test]
        fn pooled_histograms_are_the_histogram_of_all_the_samples(
            runs in proptest::collection::vec(proptest::collection::vec(sample(), 0..60), 1..6)
        ) {
            let parts: Vec<Histogram> = runs.iter().filter_map(|r| Histogram::of(r)).collect();
            let all: Vec<f64> = runs.concat();
            let pooled = Histogram::pool(&parts.iter().collect::<Vec<_>>());
            prop_assert_eq!(&pooled, &Histogram::of(&all));
            // Pooling one is the identity; pooling pooled parts is pooling them all.
            for part in &parts {
                prop_assert_eq!(Histogram::pool(&[part]), Some(part.clone()));
            }
            if parts.len() >= 2 {
                let (a, b) = parts.split_at(parts.len() / 2);
                let left = Histogram::pool(&a.iter().collect::<Vec<_>>()).unwrap();
                let right = Histogram::pool(&b.iter().collect::<Vec<_>>()).unwrap();
                prop_assert_eq!(Histogram::pool(&[&left, &right]), pooled);
            }
        }
    }
}
