//! The random built-ins as pure functions of a random number generator. Each
//! checks its arguments first and returns a message naming the function and
//! the bad value instead of a sample; the host functions turn that message
//! into a runtime error. The edge rules are listed in the crate documentation.

use crate::format::format_float;
use rand::Rng;
use rand_distr::{Bernoulli, Distribution, Exp1, LogNormal, Poisson, Triangular, Uniform};

/// `2^63` as a float: the first float above `i64::MAX`.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// A float in `[lo, hi)`; `uniform(a, a)` is `a`.
pub fn uniform<R: Rng + ?Sized>(rng: &mut R, lo: f64, hi: f64) -> Result<f64, String> {
    let call = || format!("uniform({}, {})", format_float(lo), format_float(hi));
    if !lo.is_finite() || !hi.is_finite() {
        return Err(format!("uniform(lo, hi) needs finite bounds, got {}", call()));
    }
    if lo > hi {
        return Err(format!("uniform(lo, hi) needs lo <= hi, got {}", call()));
    }
    if lo == hi {
        return Ok(lo);
    }
    // Fails only when `hi - lo` overflows to infinity.
    match Uniform::new(lo, hi) {
        Ok(distribution) => Ok(distribution.sample(rng)),
        Err(_) => Err(format!("uniform(lo, hi) needs a range that fits in a float, got {}", call())),
    }
}

/// An exponentially distributed float with the given mean (not rate).
pub fn exponential<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> Result<f64, String> {
    if mean.is_nan() || mean <= 0.0 {
        return Err(format!("exponential(mean) needs a mean > 0, got {}", format_float(mean)));
    }
    if mean.is_infinite() {
        return Err("exponential(mean) needs a finite mean, got inf".to_string());
    }
    // Scaling a unit exponential by the mean avoids the rounding of `1 / mean`.
    let unit: f64 = Exp1.sample(rng);
    Ok(unit * mean)
}

/// A normally distributed float; `sd = 0` gives exactly `mean`.
pub fn normal<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> Result<f64, String> {
    if !mean.is_finite() {
        return Err(format!("normal(mean, sd) needs a finite mean, got {}", format_float(mean)));
    }
    if sd.is_nan() || sd < 0.0 {
        return Err(format!("normal(mean, sd) needs an sd >= 0, got {}", format_float(sd)));
    }
    if sd.is_infinite() {
        return Err("normal(mean, sd) needs a finite sd, got inf".to_string());
    }
    if sd == 0.0 {
        return Ok(mean);
    }
    match rand_distr::Normal::new(mean, sd) {
        Ok(distribution) => Ok(distribution.sample(rng)),
        Err(error) => Err(format!("normal(mean, sd): {error}")),
    }
}

/// A log-normally distributed float whose own mean and standard deviation
/// (not those of its logarithm) are `mean` and `sd`; `sd = 0` gives `mean`.
pub fn lognormal<R: Rng + ?Sized>(rng: &mut R, mean: f64, sd: f64) -> Result<f64, String> {
    if mean.is_nan() || mean <= 0.0 {
        return Err(format!("lognormal(mean, sd) needs a mean > 0, got {}", format_float(mean)));
    }
    if mean.is_infinite() {
        return Err("lognormal(mean, sd) needs a finite mean, got inf".to_string());
    }
    if sd.is_nan() || sd < 0.0 {
        return Err(format!("lognormal(mean, sd) needs an sd >= 0, got {}", format_float(sd)));
    }
    if sd.is_infinite() {
        return Err("lognormal(mean, sd) needs a finite sd, got inf".to_string());
    }
    if sd == 0.0 {
        return Ok(mean);
    }
    // mu = ln(m² / sqrt(m² + s²)) and sigma² = ln(1 + s²/m²), written in terms
    // of the ratio s/m so that m² cannot overflow for large means.
    let ratio = sd / mean;
    let spread = (ratio * ratio).ln_1p();
    let mu = mean.ln() - 0.5 * spread;
    let sigma = spread.sqrt();
    if !mu.is_finite() || !sigma.is_finite() {
        return Err(format!(
            "lognormal(mean, sd) needs sd / mean to fit in a float, got lognormal({}, {})",
            format_float(mean),
            format_float(sd)
        ));
    }
    match LogNormal::new(mu, sigma) {
        Ok(distribution) => Ok(distribution.sample(rng)),
        Err(error) => Err(format!("lognormal(mean, sd): {error}")),
    }
}

/// A triangularly distributed float in `[lo, hi]` peaking at `mode`;
/// `triangular(a, a, a)` is `a`.
pub fn triangular<R: Rng + ?Sized>(rng: &mut R, lo: f64, mode: f64, hi: f64) -> Result<f64, String> {
    let call = || format!("triangular({}, {}, {})", format_float(lo), format_float(mode), format_float(hi));
    if !lo.is_finite() || !mode.is_finite() || !hi.is_finite() {
        return Err(format!("triangular(lo, mode, hi) needs finite arguments, got {}", call()));
    }
    if lo > mode || mode > hi {
        return Err(format!("triangular(lo, mode, hi) needs lo <= mode <= hi, got {}", call()));
    }
    if !(hi - lo).is_finite() {
        return Err(format!("triangular(lo, mode, hi) needs a range that fits in a float, got {}", call()));
    }
    if lo == hi {
        return Ok(lo);
    }
    match Triangular::new(lo, hi, mode) {
        // Rounding in the inverse CDF could step a hair outside the bounds.
        Ok(distribution) => Ok(distribution.sample(rng).clamp(lo, hi)),
        Err(error) => Err(format!("triangular(lo, mode, hi): {error}")),
    }
}

/// An int in `[lo, hi]`, both ends included; `randint(a, a)` is `a`.
pub fn randint<R: Rng + ?Sized>(rng: &mut R, lo: i64, hi: i64) -> Result<i64, String> {
    if lo > hi {
        return Err(format!("randint(lo, hi) needs lo <= hi, got randint({lo}, {hi})"));
    }
    match Uniform::new_inclusive(lo, hi) {
        Ok(distribution) => Ok(distribution.sample(rng)),
        Err(error) => Err(format!("randint(lo, hi): {error}")),
    }
}

/// `true` with probability `p`.
pub fn bernoulli<R: Rng + ?Sized>(rng: &mut R, p: f64) -> Result<bool, String> {
    if !(0.0..=1.0).contains(&p) {
        return Err(format!("bernoulli(p) needs 0 <= p <= 1, got {}", format_float(p)));
    }
    match Bernoulli::new(p) {
        Ok(distribution) => Ok(distribution.sample(rng)),
        Err(error) => Err(format!("bernoulli(p): {error}")),
    }
}

/// A Poisson-distributed int with the given mean; `poisson(0)` is 0.
pub fn poisson<R: Rng + ?Sized>(rng: &mut R, mean: f64) -> Result<i64, String> {
    if mean.is_nan() || mean < 0.0 {
        return Err(format!("poisson(mean) needs a mean >= 0, got {}", format_float(mean)));
    }
    if mean > Poisson::<f64>::MAX_LAMBDA {
        return Err(format!(
            "poisson(mean) needs a mean <= {}, got {}",
            format_float(Poisson::<f64>::MAX_LAMBDA),
            format_float(mean)
        ));
    }
    if mean == 0.0 {
        return Ok(0);
    }
    let count = match Poisson::new(mean) {
        Ok(distribution) => distribution.sample(rng),
        Err(error) => return Err(format!("poisson(mean): {error}")),
    };
    // Means near the top of the allowed range can draw counts above i64::MAX.
    if (0.0..TWO_POW_63).contains(&count) {
        Ok(count as i64)
    } else {
        Err(format!(
            "poisson(mean) drew {} which is out of the int range, with mean {}",
            format_float(count),
            format_float(mean)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn rng() -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::seed_from_u64(20240611)
    }

    /// Sample mean and standard deviation of `n` draws.
    fn moments(n: usize, mut draw: impl FnMut() -> f64) -> (f64, f64) {
        let samples: Vec<f64> = (0..n).map(|_| draw()).collect();
        let mean = samples.iter().sum::<f64>() / n as f64;
        let variance = samples.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
        (mean, variance.sqrt())
    }

    fn close(actual: f64, expected: f64, relative: f64) -> bool {
        (actual - expected).abs() <= relative * expected.abs()
    }

    #[test]
    fn bad_arguments_name_the_function_and_the_value() {
        let mut r = rng();
        let cases: Vec<(Result<f64, String>, &str)> = vec![
            (uniform(&mut r, 3.0, 1.0), "uniform(lo, hi) needs lo <= hi, got uniform(3, 1)"),
            (uniform(&mut r, f64::NAN, 1.0), "uniform(lo, hi) needs finite bounds, got uniform(NaN, 1)"),
            (uniform(&mut r, 0.0, f64::INFINITY), "uniform(lo, hi) needs finite bounds, got uniform(0, inf)"),
            (uniform(&mut r, -f64::MAX, f64::MAX), "uniform(lo, hi) needs a range that fits in a float, got uniform("),
            (exponential(&mut r, -1.0), "exponential(mean) needs a mean > 0, got -1"),
            (exponential(&mut r, 0.0), "exponential(mean) needs a mean > 0, got 0"),
            (exponential(&mut r, f64::NAN), "exponential(mean) needs a mean > 0, got NaN"),
            (exponential(&mut r, f64::INFINITY), "exponential(mean) needs a finite mean, got inf"),
            (normal(&mut r, 0.0, -0.5), "normal(mean, sd) needs an sd >= 0, got -0.5"),
            (normal(&mut r, f64::NAN, 1.0), "normal(mean, sd) needs a finite mean, got NaN"),
            (normal(&mut r, 1.0, f64::NAN), "normal(mean, sd) needs an sd >= 0, got NaN"),
            (normal(&mut r, 1.0, f64::INFINITY), "normal(mean, sd) needs a finite sd, got inf"),
            (lognormal(&mut r, 0.0, 1.0), "lognormal(mean, sd) needs a mean > 0, got 0"),
            (lognormal(&mut r, -3.0, 1.0), "lognormal(mean, sd) needs a mean > 0, got -3"),
            (lognormal(&mut r, f64::INFINITY, 1.0), "lognormal(mean, sd) needs a finite mean, got inf"),
            (lognormal(&mut r, 10.0, -2.0), "lognormal(mean, sd) needs an sd >= 0, got -2"),
            (lognormal(&mut r, 10.0, f64::NAN), "lognormal(mean, sd) needs an sd >= 0, got NaN"),
            (lognormal(&mut r, 1e-300, 1e300), "lognormal(mean, sd) needs sd / mean to fit in a float, got lognormal("),
            (
                triangular(&mut r, 1.0, 5.0, 3.0),
                "triangular(lo, mode, hi) needs lo <= mode <= hi, got triangular(1, 5, 3)",
            ),
            (
                triangular(&mut r, 3.0, 2.0, 1.0),
                "triangular(lo, mode, hi) needs lo <= mode <= hi, got triangular(3, 2, 1)",
            ),
            (
                triangular(&mut r, 0.0, f64::NAN, 1.0),
                "triangular(lo, mode, hi) needs finite arguments, got triangular(0, NaN, 1)",
            ),
            (
                triangular(&mut r, -f64::MAX, 0.0, f64::MAX),
                "triangular(lo, mode, hi) needs a range that fits in a float, got triangular(",
            ),
        ];
        for (result, expected) in cases {
            let message = result.expect_err(expected);
            assert!(message.starts_with(expected), "{message:?} should start with {expected:?}");
        }

        assert_eq!(randint(&mut r, 5, 1), Err("randint(lo, hi) needs lo <= hi, got randint(5, 1)".to_string()));
        assert_eq!(bernoulli(&mut r, 1.5), Err("bernoulli(p) needs 0 <= p <= 1, got 1.5".to_string()));
        assert_eq!(bernoulli(&mut r, -0.1), Err("bernoulli(p) needs 0 <= p <= 1, got -0.1".to_string()));
        assert_eq!(bernoulli(&mut r, f64::NAN), Err("bernoulli(p) needs 0 <= p <= 1, got NaN".to_string()));
        assert_eq!(poisson(&mut r, -1.0), Err("poisson(mean) needs a mean >= 0, got -1".to_string()));
        assert_eq!(poisson(&mut r, f64::NAN), Err("poisson(mean) needs a mean >= 0, got NaN".to_string()));
        assert_eq!(
            poisson(&mut r, f64::INFINITY),
            Err("poisson(mean) needs a mean <= 18440000000000000000, got inf".to_string())
        );
    }

    #[test]
    fn degenerate_arguments_give_the_obvious_value() {
        let mut r = rng();
        assert_eq!(uniform(&mut r, 2.5, 2.5), Ok(2.5));
        assert_eq!(normal(&mut r, 7.0, 0.0), Ok(7.0));
        assert_eq!(lognormal(&mut r, 3.0, 0.0), Ok(3.0));
        assert_eq!(triangular(&mut r, 4.0, 4.0, 4.0), Ok(4.0));
        assert_eq!(randint(&mut r, 9, 9), Ok(9));
        assert_eq!(randint(&mut r, i64::MIN, i64::MIN), Ok(i64::MIN));
        assert_eq!(poisson(&mut r, 0.0), Ok(0));
        assert_eq!(bernoulli(&mut r, 0.0), Ok(false));
        assert_eq!(bernoulli(&mut r, 1.0), Ok(true));
    }

    #[test]
    fn a_fixed_seed_gives_the_same_stream() {
        let draw_all = |r: &mut Xoshiro256PlusPlus| {
            (
                uniform(r, 0.0, 1.0),
                exponential(r, 2.0),
                normal(r, 0.0, 1.0),
                lognormal(r, 10.0, 2.0),
                triangular(r, 0.0, 1.0, 3.0),
                randint(r, 1, 6),
                bernoulli(r, 0.3),
                poisson(r, 4.0),
                poisson(r, 400.0),
            )
        };
        let first = draw_all(&mut rng());
        let second = draw_all(&mut rng());
        assert_eq!(first, second);
        let mut other = Xoshiro256PlusPlus::seed_from_u64(7);
        assert_ne!(draw_all(&mut other), first);
    }

    #[test]
    fn exponential_has_the_requested_mean() {
        let mut r = rng();
        let (mean, sd) = moments(100_000, || exponential(&mut r, 2.0).unwrap());
        assert!(close(mean, 2.0, 0.02), "mean {mean}");
        assert!(close(sd, 2.0, 0.03), "sd {sd}");
    }

    #[test]
    fn lognormal_has_the_requested_mean_and_sd_of_the_variable_itself() {
        let mut r = rng();
        let (mean, sd) = moments(200_000, || lognormal(&mut r, 10.0, 2.0).unwrap());
        assert!(close(mean, 10.0, 0.01), "mean {mean}");
        assert!(close(sd, 2.0, 0.03), "sd {sd}");
    }

    #[test]
    fn normal_has_the_requested_mean_and_sd() {
        let mut r = rng();
        let (mean, sd) = moments(100_000, || normal(&mut r, 5.0, 3.0).unwrap());
        assert!(close(mean, 5.0, 0.01), "mean {mean}");
        assert!(close(sd, 3.0, 0.02), "sd {sd}");
    }

    #[test]
    fn uniform_stays_in_its_half_open_range() {
        let mut r = rng();
        let (mean, _) = moments(100_000, || {
            let x = uniform(&mut r, -1.0, 3.0).unwrap();
            assert!((-1.0..3.0).contains(&x), "{x}");
            x
        });
        assert!(close(mean, 1.0, 0.02), "mean {mean}");
    }

    #[test]
    fn triangular_stays_within_its_bounds() {
        let mut r = rng();
        let (mean, _) = moments(100_000, || {
            let x = triangular(&mut r, 1.0, 2.0, 6.0).unwrap();
            assert!((1.0..=6.0).contains(&x), "{x}");
            x
        });
        assert!(close(mean, 3.0, 0.01), "mean {mean}");
        // A mode at either end is allowed.
        for _ in 0..1000 {
            let x = triangular(&mut r, 0.0, 0.0, 1.0).unwrap();
            assert!((0.0..=1.0).contains(&x));
            let y = triangular(&mut r, 0.0, 1.0, 1.0).unwrap();
            assert!((0.0..=1.0).contains(&y));
        }
    }

    #[test]
    fn randint_includes_both_ends() {
        let mut r = rng();
        let mut seen = [0u32; 6];
        for _ in 0..60_000 {
            let k = randint(&mut r, 1, 6).unwrap();
            assert!((1..=6).contains(&k), "{k}");
            seen[(k - 1) as usize] += 1;
        }
        for count in seen {
            assert!((9_000..11_000).contains(&count), "{seen:?}");
        }
        // The full int range is a valid range.
        randint(&mut r, i64::MIN, i64::MAX).unwrap();
    }

    #[test]
    fn bernoulli_and_poisson_have_the_requested_means() {
        let mut r = rng();
        let (rate, _) = moments(100_000, || f64::from(u8::from(bernoulli(&mut r, 0.3).unwrap())));
        assert!(close(rate, 0.3, 0.02), "rate {rate}");
        let (small, _) = moments(100_000, || poisson(&mut r, 3.5).unwrap() as f64);
        assert!(close(small, 3.5, 0.02), "mean {small}");
        let (large, _) = moments(100_000, || poisson(&mut r, 250.0).unwrap() as f64);
        assert!(close(large, 250.0, 0.01), "mean {large}");
    }
}
