//! From the figures of every run (in grid order) to what a report shows: one
//! entry per sweep combination, each figure as it is (one replication) or
//! as its mean, 95% confidence half-width, min and max across the
//! replications. Unsharded runs and `usimc merge` both come through here.

use statrs::distribution::{ContinuousCDF, StudentsT};
use usim_runtime::{EndedBy, Histogram};

use crate::report::figures::{count, Kind, RunFigures, Value, Waiter};

/// One figure of the report.
#[derive(Clone, Debug)]
pub enum Stat {
    /// One replication's value, or one that is the same in every
    /// replication by construction (a capacity).
    Plain(Value),
    /// Across the replications. `min` and `max` are ints when the figure is
    /// an int (or a bool, as 0 and 1) in every replication. A NaN in any
    /// replication makes all four NaN.
    Across { mean: f64, ci95: f64, min: Value, max: Value },
}

/// Figures that do not vary between replications: reported as they are.
fn is_fixed(statistic: &str) -> bool {
    statistic == "capacity"
}

#[derive(Clone, Debug)]
pub struct EntryReport {
    pub name: String,
    pub figures: Vec<(String, Stat)>,
}

/// How the runs of a combination ended, and who was left waiting.
#[derive(Clone, Debug)]
pub struct Combination {
    pub params: Vec<(String, Value)>,
    pub end_time: Stat,
    pub events: Stat,
    /// Indexed by [`Kind::index`].
    pub entries: [Vec<EntryReport>; 5],
    /// The histogram of each tally (in the order of its entries) pooled
    /// over the replications: exactly the histogram of all their samples.
    pub histograms: Vec<Option<Histogram>>,
    /// How many replications ended each way, in the order horizon, stop,
    /// no_events (only those that occurred).
    pub ended_by: Vec<(EndedBy, u64)>,
    /// Every replication's waiting processes, in replication order.
    pub waiting: Vec<(u64, Waiter)>,
}

impl Combination {
    pub fn entries(&self, kind: Kind) -> &[EntryReport] {
        &self.entries[kind.index()]
    }
}

/// Everything a report shows.
#[derive(Clone, Debug)]
pub struct Report {
    /// The model's file name (without its folder).
    pub model: String,
    pub seed: u64,
    pub replications: u64,
    pub combinations: Vec<Combination>,
}

impl Report {
    /// The param names, as the first combination has them (every
    /// combination has the same).
    pub fn param_names(&self) -> Vec<&str> {
        self.combinations.first().map_or(Vec::new(), |c| c.params.iter().map(|(n, _)| n.as_str()).collect())
    }
}

/// The quantile 0.975 of Student's t with `n - 1` degrees of freedom, for `n >= 2` samples.
pub fn t_975(n: u64) -> f64 {
    match StudentsT::new(0.0, 1.0, (n - 1) as f64) {
        Ok(t) => t.inverse_cdf(0.975),
        Err(_) => f64::NAN,
    }
}

/// Mean, half-width of the 95% confidence interval, min and max of one
/// figure over `values` (at least two), `t` being [`t_975`] for their count.
pub fn across(values: &[&Value], t: f64) -> Stat {
    let numbers: Vec<f64> = values.iter().map(|v| v.as_f64()).collect();
    if numbers.iter().any(|v| v.is_nan()) {
        let nan = Value::Float(f64::NAN);
        return Stat::Across { mean: f64::NAN, ci95: f64::NAN, min: nan.clone(), max: nan };
    }
    let n = numbers.len() as f64;
    let mean = numbers.iter().sum::<f64>() / n;
    let squares: f64 = numbers.iter().map(|v| (v - mean) * (v - mean)).sum();
    let std = (squares / (n - 1.0)).sqrt();
    let ci95 = t * std / n.sqrt();
    let ints: Option<Vec<i64>> = values
        .iter()
        .map(|v| match v {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        })
        .collect();
    let (min, max) = match ints {
        Some(ints) => {
            (Value::Int(ints.iter().copied().min().unwrap_or(0)), Value::Int(ints.iter().copied().max().unwrap_or(0)))
        }
        None => (
            Value::Float(numbers.iter().copied().fold(f64::INFINITY, f64::min)),
            Value::Float(numbers.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        ),
    };
    Stat::Across { mean, ci95, min, max }
}

/// One figure over the replications `reps` of a combination.
fn stat(statistic: &str, values: &[&Value], t: f64) -> Stat {
    match values {
        [one] => Stat::Plain((*one).clone()),
        [first, ..] if is_fixed(statistic) => Stat::Plain((*first).clone()),
        _ => across(values, t),
    }
}

/// Aggregates `runs`, every run of the grid in grid order (run `g` is
/// replication `g % replications` of combination `g / replications`).
pub fn aggregate(model: &str, seed: u64, replications: u64, runs: &[RunFigures]) -> Report {
    let t = if replications > 1 { t_975(replications) } else { f64::NAN };
    let chunk = usize::try_from(replications).unwrap_or(usize::MAX).max(1);
    let combinations = runs.chunks(chunk).map(|reps| combination(reps, t)).collect();
    Report { model: model.to_string(), seed, replications, combinations }
}

fn combination(reps: &[RunFigures], t: f64) -> Combination {
    let first = &reps[0];
    let end_times: Vec<Value> = reps.iter().map(|r| Value::Float(r.end_time)).collect();
    let events: Vec<Value> = reps.iter().map(|r| count(r.events)).collect();
    let entries = Kind::ALL.map(|kind| {
        first
            .entries(kind)
            .iter()
            .enumerate()
            .map(|(index, entry)| {
                // The figure of every replication: the same program ran in
                // each, so each has the same entries in the same order; a
                // figure some replication lacks is left out.
                let figures = entry
                    .figures
                    .iter()
                    .filter_map(|(statistic, _)| {
                        let values: Option<Vec<&Value>> = reps
                            .iter()
                            .map(|r| {
                                let other = r.entries(kind).get(index).filter(|e| e.name == entry.name)?;
                                other.figures.iter().find(|(s, _)| s == statistic).map(|(_, v)| v)
                            })
                            .collect();
                        Some((statistic.clone(), stat(statistic, &values?, t)))
                    })
                    .collect();
                EntryReport { name: entry.name.clone(), figures }
            })
            .collect()
    });
    let histograms = (0..first.entries(Kind::Tally).len())
        .map(|index| {
            let name = &first.entries(Kind::Tally)[index].name;
            // Each replication's histogram of the tally, where it has one.
            let parts: Vec<&Histogram> = reps
                .iter()
                .filter(|r| r.entries(Kind::Tally).get(index).is_some_and(|e| e.name == *name))
                .filter_map(|r| r.histograms.get(index).and_then(Option::as_ref))
                .collect();
            Histogram::pool(&parts)
        })
        .collect();
    let ended_by = [EndedBy::Horizon, EndedBy::Stop, EndedBy::NoEvents, EndedBy::Error]
        .into_iter()
        .map(|how| (how, reps.iter().filter(|r| r.ended_by == how).count() as u64))
        .filter(|(_, n)| *n > 0)
        .collect();
    let waiting =
        reps.iter().enumerate().flat_map(|(k, r)| r.waiting.iter().map(move |w| (k as u64, w.clone()))).collect();
    Combination {
        params: first.params.clone(),
        end_time: stat("end_time", &end_times.iter().collect::<Vec<_>>(), t),
        events: stat("events", &events.iter().collect::<Vec<_>>(), t),
        entries,
        histograms,
        ended_by,
        waiting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(stat: Stat, mean: f64, ci95: f64, min: &Value, max: &Value) {
        let Stat::Across { mean: m, ci95: c, min: lo, max: hi } = stat else { panic!("not across: {stat:?}") };
        assert!((m - mean).abs() < 1e-12 || (m.is_nan() && mean.is_nan()), "mean {m} vs {mean}");
        assert!((c - ci95).abs() < 1e-9 || (c.is_nan() && ci95.is_nan()), "ci95 {c} vs {ci95}");
        assert!(lo.same(min), "min {lo:?} vs {min:?}");
        assert!(hi.same(max), "max {hi:?} vs {max:?}");
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        // Student's t, 0.975: 12.706 (1 df), 2.262 (9 df), 1.984 (100 df).
        assert!((t_975(2) - 12.706_204_736).abs() < 1e-6);
        assert!((t_975(10) - 2.262_157_163).abs() < 1e-6);
        assert!((t_975(101) - 1.983_971_519).abs() < 1e-6);
    }

    #[test]
    fn ints_stay_ints_and_a_nan_spoils_all_four() {
        let t = t_975(3);
        let ints = [Value::Int(1), Value::Int(2), Value::Int(6)];
        // mean 3, sample std sqrt(7), half-width t * sqrt(7) / sqrt(3).
        check(across(&ints.iter().collect::<Vec<_>>(), t), 3.0, t * 7f64.sqrt() / 3f64.sqrt(), &ints[0], &ints[2]);
        let mixed = [Value::Int(1), Value::Float(2.5)];
        check(
            across(&mixed.iter().collect::<Vec<_>>(), t_975(2)),
            1.75,
            t_975(2) * (1.125f64).sqrt() / 2f64.sqrt(),
            &Value::Float(1.0),
            &Value::Float(2.5),
        );
        let nan = [Value::Float(1.0), Value::Float(f64::NAN)];
        let nan_value = Value::Float(f64::NAN);
        check(across(&nan.iter().collect::<Vec<_>>(), t_975(2)), f64::NAN, f64::NAN, &nan_value, &nan_value);
        let bools = [Value::Bool(true), Value::Bool(false), Value::Bool(true), Value::Bool(true)];
        let Stat::Across { mean, min, max, .. } = across(&bools.iter().collect::<Vec<_>>(), t_975(4)) else {
            panic!("not across")
        };
        assert_eq!(mean, 0.75);
        assert!(min.same(&Value::Int(0)) && max.same(&Value::Int(1)));
    }
}
