//! What an experiment runs: the sweep's combinations of `--set` values, the
//! grid of (combination x replication) runs, the slice a shard runs, and the
//! random stream of each run (docs/experiments.md).

use std::ops::Range;

use usim_runtime::Stream;

use crate::cli::Shard;

/// The most combinations a sweep may have. Each is compiled before anything
/// runs, and each compiled program holds its own code (and reserves 1 GiB
/// of address space for it), so a product larger than this is refused.
pub const MAX_COMBINATIONS: u64 = 10_000;

/// The most runs an experiment (its whole grid, over all shards) may have,
/// so that run numbers and slice bounds stay exact.
pub const MAX_GRID_RUNS: u64 = 1 << 40;

/// The most runs one `usimc run` (one shard) may run: the figures of all of
/// them are kept until the report is written.
pub const MAX_SLICE_RUNS: u64 = 10_000_000;

/// One `--set NAME=V1,V2,...` as given (values trimmed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    pub name: String,
    pub values: Vec<String>,
}

impl Setting {
    /// `NAME=V1,V2`, as the part file and messages write it.
    pub fn text(&self) -> String {
        format!("{}={}", self.name, self.values.join(","))
    }
}

/// Parses the `--set` arguments. An item without `=`, without a name, or a
/// list of several values with an empty one (`1,,2`) is refused; a single
/// value is handed to the compiler as given, which judges its type.
pub fn settings(items: &[String]) -> Result<Vec<Setting>, String> {
    let mut out = Vec::new();
    for item in items {
        let Some((name, value)) = item.split_once('=') else {
            return Err(format!("--set {item}: expected NAME=VALUE (or NAME=V1,V2,... for a sweep)"));
        };
        let name = name.trim();
        if name.is_empty() {
            return Err(format!("--set {item}: the param name is missing"));
        }
        let values: Vec<String> = value.split(',').map(|v| v.trim().to_string()).collect();
        if values.len() > 1 {
            if let Some(empty) = values.iter().position(String::is_empty) {
                return Err(format!(
                    "--set {item}: value {} of the {} values of `{name}` is empty",
                    empty + 1,
                    values.len()
                ));
            }
        }
        out.push(Setting { name: name.to_string(), values });
    }
    Ok(out)
}

/// Every combination of the settings' values, the first setting varying
/// slowest (nested loops in command-line order): the overrides to compile
/// each with.
pub fn combinations(settings: &[Setting]) -> Result<Vec<Vec<(String, String)>>, String> {
    let mut count: u64 = 1;
    for setting in settings {
        count = count.saturating_mul(setting.values.len() as u64);
    }
    if count > MAX_COMBINATIONS {
        return Err(format!(
            "the --set values make {count} combinations; a sweep may have at most {MAX_COMBINATIONS} \
             (each is compiled before anything runs)"
        ));
    }
    let mut out = vec![Vec::new()];
    for setting in settings {
        let mut next = Vec::with_capacity(out.len() * setting.values.len());
        for prefix in &out {
            for value in &setting.values {
                let mut combination: Vec<(String, String)> = prefix.clone();
                combination.push((setting.name.clone(), value.clone()));
                next.push(combination);
            }
        }
        out = next;
    }
    Ok(out)
}

/// How a combination is named in messages: its swept params (the settings
/// with several values), `N=2, RATE=0.5`; empty when nothing is swept.
pub fn combination_label(settings: &[Setting], combination: &[(String, String)]) -> String {
    let swept: Vec<String> = settings
        .iter()
        .zip(combination)
        .filter(|(setting, _)| setting.values.len() > 1)
        .map(|(_, (name, value))| format!("{name}={value}"))
        .collect();
    swept.join(", ")
}

/// The grid of runs: `combinations x replications`, run `g` being
/// replication `g % replications` of combination `g / replications`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grid {
    pub combinations: u64,
    pub replications: u64,
}

impl Grid {
    /// The number of runs. Both factors are bounded (combinations by
    /// [`MAX_COMBINATIONS`]), so this saturates only for absurd `--reps`.
    pub fn runs(&self) -> u64 {
        self.combinations.saturating_mul(self.replications)
    }

    /// The runs shard `K/N` runs: `[floor((K-1)G/N), floor(KG/N))`; every run
    /// once over all shards, empty shards when there are more shards than runs.
    pub fn slice(&self, shard: Option<Shard>) -> Range<u64> {
        let runs = self.runs();
        match shard {
            None => 0..runs,
            Some(Shard { index, count }) => {
                let bound = |k: u64| (u128::from(k) * u128::from(runs) / u128::from(count)) as u64;
                bound(index - 1)..bound(index)
            }
        }
    }

    /// Refuses a grid or a slice too large to run.
    pub fn check(&self, shard: Option<Shard>) -> Result<(), String> {
        let runs = u128::from(self.combinations) * u128::from(self.replications);
        if runs > u128::from(MAX_GRID_RUNS) {
            let what = match self.combinations {
                1 => format!("--reps {} makes", self.replications),
                n => format!("{n} combinations of {} replications make", self.replications),
            };
            return Err(format!("{what} {runs} runs; an experiment may have at most {MAX_GRID_RUNS}"));
        }
        let slice = self.slice(shard);
        if slice.end - slice.start > MAX_SLICE_RUNS {
            return Err(format!(
                "this would run {} runs at once; one `usimc run` runs at most {MAX_SLICE_RUNS}: \
                 split the experiment with --shard K/N",
                slice.end - slice.start
            ));
        }
        Ok(())
    }

    /// The combination and replication of run `g`.
    pub fn place(&self, g: u64) -> (u64, u64) {
        (g / self.replications, g % self.replications)
    }
}

/// One run of a slice.
#[derive(Clone, Debug)]
pub struct RunSpec {
    /// Its index in the grid.
    pub run: u64,
    pub combination: u64,
    pub replication: u64,
    /// Replication `replication` of the seed.
    pub stream: Stream,
}

/// The runs of `slice`, in grid order, each with its stream. Only the first
/// run's stream is walked to from the seed; each next one is made from the
/// one before it ([`Stream::next`]), or is replication 0 again when the next
/// combination begins.
pub fn runs(grid: Grid, slice: Range<u64>, seed: u64) -> Vec<RunSpec> {
    let mut out: Vec<RunSpec> = Vec::new();
    for run in slice {
        let (combination, replication) = grid.place(run);
        let stream = match out.last() {
            None => Stream::replication(seed, replication),
            Some(_) if replication == 0 => Stream::new(seed),
            Some(before) => before.stream.next(),
        };
        out.push(RunSpec { run, combination, replication, stream });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setting(name: &str, values: &[&str]) -> Setting {
        Setting { name: name.into(), values: values.iter().map(|v| v.to_string()).collect() }
    }

    #[test]
    fn the_first_setting_varies_slowest() {
        let combos = combinations(&[setting("A", &["1", "2"]), setting("B", &["x"]), setting("C", &["3", "4", "5"])])
            .expect("a small sweep");
        let text: Vec<String> =
            combos.iter().map(|c| c.iter().map(|(n, v)| format!("{n}={v}")).collect::<Vec<_>>().join(" ")).collect();
        assert_eq!(text, ["A=1 B=x C=3", "A=1 B=x C=4", "A=1 B=x C=5", "A=2 B=x C=3", "A=2 B=x C=4", "A=2 B=x C=5"]);
        assert_eq!(combinations(&[]).expect("no sweep"), vec![Vec::<(String, String)>::new()]);
    }

    #[test]
    fn labels_name_only_the_swept_params() {
        let settings = [setting("A", &["1", "2"]), setting("B", &["x"])];
        let combo = vec![("A".to_string(), "2".to_string()), ("B".to_string(), "x".to_string())];
        assert_eq!(combination_label(&settings, &combo), "A=2");
    }

    #[test]
    fn empty_items_of_a_list_are_refused() {
        assert_eq!(
            settings(&["N=1,,2".to_string()]),
            Err("--set N=1,,2: value 2 of the 3 values of `N` is empty".to_string())
        );
        assert_eq!(settings(&["N=".to_string()]), Ok(vec![setting("N", &[""])]));
        assert_eq!(settings(&[" N = 1, 2 ".to_string()]), Ok(vec![setting("N", &["1", "2"])]));
    }

    #[test]
    fn too_many_combinations_are_refused() {
        let ten: Vec<String> = (0..10).map(|v| v.to_string()).collect();
        let many: Vec<Setting> = (0..6).map(|k| Setting { name: format!("P{k}"), values: ten.clone() }).collect();
        assert!(combinations(&many).is_err());
    }

    #[test]
    fn shards_cover_every_run_once() {
        for runs in 0..40u64 {
            for count in 1..12u64 {
                let grid = Grid { combinations: 1, replications: runs.max(1) };
                let grid = if runs == 0 { Grid { combinations: 1, replications: 1 } } else { grid };
                let mut next = 0;
                for index in 1..=count {
                    let slice = grid.slice(Some(Shard { index, count }));
                    assert_eq!(slice.start, next);
                    next = slice.end;
                }
                assert_eq!(next, grid.runs());
            }
        }
        let grid = Grid { combinations: 2, replications: 5 };
        assert_eq!(grid.slice(Some(Shard { index: 2, count: 3 })), 3..6);
        assert_eq!(grid.slice(None), 0..10);
    }

    #[test]
    fn grids_and_slices_too_large_are_refused() {
        let huge = Grid { combinations: 3, replications: u64::MAX };
        assert_eq!(
            huge.check(None),
            Err(format!(
                "3 combinations of {} replications make {} runs; an experiment may have at most 1099511627776",
                u64::MAX,
                3 * u128::from(u64::MAX)
            ))
        );
        let big = Grid { combinations: 2, replications: 6_000_000 };
        assert_eq!(
            big.check(None),
            Err("this would run 12000000 runs at once; one `usimc run` runs at most 10000000: \
                 split the experiment with --shard K/N"
                .to_string())
        );
        assert_eq!(big.check(Some(Shard { index: 1, count: 2 })), Ok(()));
        assert_eq!(
            Grid { combinations: 1, replications: 1 << 41 }.check(None),
            Err("--reps 2199023255552 makes 2199023255552 runs; an experiment may have at most 1099511627776".into())
        );
    }

    #[test]
    fn streams_step_from_one_replication_to_the_next() {
        let grid = Grid { combinations: 3, replications: 4 };
        let specs = runs(grid, 3..10, 7);
        assert_eq!(specs.len(), 7);
        for spec in &specs {
            assert_eq!(spec.combination, spec.run / 4);
            assert_eq!(spec.replication, spec.run % 4);
            assert_eq!(spec.stream, Stream::replication(7, spec.replication));
        }
        assert!(runs(grid, 5..5, 7).is_empty());
    }
}
