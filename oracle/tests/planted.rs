//! Planted miscompiles are caught: for each kind of wrong code a code
//! generator could emit (`usim_oracle::plant`), the JIT runs shipped and
//! generated models
//! with one instruction planted wrong while the interpreter runs them as
//! written, and the differential comparison must see the difference.
//!
//! Plants go only into blocks the interpreter saw run. A plant can still
//! be equivalent where it lands (an `x + 0`, a store of the value already
//! there, a branch whose two sides agree), so each kind is tried at several sites: each must be caught
//! somewhere, and three in four plants overall (what is missed is printed:
//! `cargo test -p usim-oracle --test planted -- --nocapture`). A planted run that hangs is stopped by a watchdog through
//! the runtime's interrupt flag, which is process-wide: this binary holds
//! this one test, run sequentially.

mod shipped;

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

use usim_compiler::ir;
use usim_oracle::plant::Plant;
use usim_oracle::{first_difference, lower, run, run_covered, Engine, Observed, Options};

/// Sites tried per kind of plant, spread over the models.
const ATTEMPTS: usize = 12;

fn corpus() -> Vec<(PathBuf, ir::Module)> {
    let mut all = Vec::new();
    for path in shipped::models(&["examples", "tests/fixtures/ok", "tests/fixtures/runtime"]) {
        let source = std::fs::read_to_string(&path).expect("read a model");
        if let Ok(module) = lower(&source) {
            all.push((path, module));
        }
    }
    // And generated models, which run thousands of events each.
    for seed in 1..=GENERATED {
        let source = usim_oracle::gen::Model::generate(seed).render();
        let module = lower(&source).unwrap_or_else(|e| panic!("generated model {seed}: {e}"));
        all.push((PathBuf::from(format!("generated-{seed}")), module));
    }
    all
}

/// Generated models added to the shipped ones.
const GENERATED: u64 = 12;

/// Runs `module` on the JIT, interrupting it after `limit`.
fn run_jit_bounded(module: &ir::Module, options: &Options, limit: Duration) -> Result<Observed, String> {
    let (done, wait) = mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if wait.recv_timeout(limit).is_err() {
            usim_runtime::request_interrupt();
        }
    });
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(module, Engine::Jit, options)));
    let _ = done.send(());
    watchdog.join().expect("the watchdog ends");
    usim_runtime::clear_interrupt();
    result.unwrap_or_else(|_| Err("[panic]".into()))
}

#[test]
fn the_differential_oracle_catches_planted_miscompiles() {
    let models = corpus();
    let options = Options { max_processes: 100_000, ..Options::default() };
    // Each model as written, on the interpreter, with the blocks it ran: a
    // plant in code no run reaches cannot be seen, so only code that ran
    // gets plants.
    let reference: Vec<(Observed, Vec<Vec<bool>>)> = models
        .iter()
        .map(|(path, module)| run_covered(module, &options).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect();
    let mut report = Vec::new();
    let mut weak = Vec::new();
    let mut total = (0, 0);
    for plant in Plant::ALL {
        // Every (model, site) where the plant applies in code that ran, in
        // order; then ATTEMPTS of them, evenly spread.
        let sites: Vec<(usize, usim_oracle::plant::Site)> = models
            .iter()
            .enumerate()
            .flat_map(|(m, (_, module))| {
                let covered = &reference[m].1;
                let sites: Vec<_> = plant.sites(module).into_iter().filter(|s| covered[s.function][s.block]).collect();
                // A few sites per model: its first, middle and last.
                let picks = [0, sites.len() / 2, sites.len().saturating_sub(1)];
                let mut chosen: Vec<_> = picks.iter().filter_map(|&k| sites.get(k).copied()).collect();
                chosen.dedup();
                chosen.into_iter().map(move |s| (m, s))
            })
            .collect();
        let step = (sites.len() / ATTEMPTS).max(1);
        let tried: Vec<_> = sites.iter().step_by(step).take(ATTEMPTS).copied().collect();
        let mut caught = 0;
        let mut missed = Vec::new();
        for &(m, site) in &tried {
            let (path, module) = &models[m];
            let expected = &reference[m].0;
            let planted = plant.apply(module, site);
            let seen = run_jit_bounded(&planted, &options, Duration::from_secs(5));
            let differs = match &seen {
                Ok(observed) => first_difference(observed, expected).is_some(),
                Err(_) => true,
            };
            if differs {
                caught += 1;
            } else {
                missed.push(format!("{} {site:?}", path.file_name().unwrap_or_default().to_string_lossy()));
            }
        }
        report.push(format!(
            "{plant:?}: caught {caught} of {} ({} sites){}",
            tried.len(),
            sites.len(),
            if missed.is_empty() { String::new() } else { format!("; missed at {}", missed.join(", ")) }
        ));
        assert!(!tried.is_empty(), "{plant:?} applies nowhere in the corpus");
        if caught == 0 {
            weak.push(format!("{plant:?}: none caught; missed at {}", missed.join(", ")));
        }
        total.0 += caught;
        total.1 += tried.len();
    }
    println!("{}", report.join("\n"));
    assert!(weak.is_empty(), "{}\n\n{}", weak.join("\n"), report.join("\n"));
    assert!(total.0 * 4 >= total.1 * 3, "only {} of {} plants caught:\n{}", total.0, total.1, report.join("\n"));
}
