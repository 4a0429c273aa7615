//! Event order: the conformance cases on time and ties (c02, c03, c05, c06,
//! c09), the horizon, `stop`, and random tie order.

#[macro_use]
mod common;

use common::{kind, program, program_with_global0, root, run_fifo, run_with};
use usim_runtime::rand_xoshiro::rand_core::RngCore;
use usim_runtime::*;

// c02_order: delay(0), instant and spawn all yield to what is already due.
const A: u32 = 0;
const B: u32 = 1;
const C: u32 = 2;

step!(c02_a, |cx| match cx.state() {
    0 => {
        cx.say("a start");
        cx.wait(cx.delay(0.0, NO_SPAN), 1)
    }
    1 => {
        cx.say("a after delay(0)");
        cx.wait(cx.instant(), 2)
    }
    _ => {
        cx.say("a after instant");
        STEP_DONE
    }
});

step!(c02_b, |cx| match cx.state() {
    0 => {
        cx.say("b start");
        cx.spawn(C, &[]);
        cx.say("b spawned c");
        cx.wait(cx.delay(0.0, NO_SPAN), 1)
    }
    _ => {
        cx.say("b after delay(0)");
        STEP_DONE
    }
});

step!(c02_c, |cx| {
    cx.say("c start");
    STEP_DONE
});

#[test]
fn c02_delay_zero_instant_and_spawn_order() {
    let kinds = vec![kind("a", c02_a, 2, 0), kind("b", c02_b, 2, 0), kind("c", c02_c, 2, 0)];
    let ran = run_fifo(&program(kinds, vec![root(A, &[]), root(B, &[])], None));
    assert_eq!(
        ran.output,
        "0 a start\n0 b start\n0 b spawned c\n0 a after delay(0)\n0 c start\n0 b after delay(0)\n0 a after instant\n"
    );
    assert_eq!(ran.outcome.events, 6); // a: 3 steps, b: 2, c: 1
    assert_eq!(ran.outcome.end_time, 0.0);
    assert!(!ran.outcome.stopped);
    assert_eq!(ran.outcome.error, None);
}

// c03_every: `every 2`, an overrun caught up at once, `break`.
// Slots: 2 = k, 3 = iteration index, 4 = t0.
step!(c03_slow, |cx| loop {
    match cx.state() {
        0 => {
            cx.set_int(2, 0);
            cx.set_int(3, 0);
            cx.set_float(4, cx.now());
            cx.goto(1);
        }
        1 => {
            let due = cx.float(4) + cx.int(3) as f64 * 2.0;
            if let Some(code) = cx.pause(cx.wait_until(due), 2) {
                return code;
            }
            cx.goto(2);
        }
        2 => {
            cx.say(format_args!("tick {}", cx.int(2)));
            cx.set_int(2, cx.int(2) + 1);
            cx.goto(3);
            if cx.int(2) == 2 {
                return cx.wait(cx.delay(5.0, NO_SPAN), 3);
            }
        }
        3 => {
            if cx.int(2) == 5 {
                cx.say("done");
                return STEP_DONE;
            }
            cx.set_int(3, cx.int(3) + 1);
            cx.goto(1);
        }
        _ => unreachable!(),
    }
});

#[test]
fn c03_every_keeps_its_rate_and_catches_up() {
    let kinds = vec![kind("slow", c03_slow, 5, 0)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(ran.output, "0 tick 0\n2 tick 1\n7 tick 2\n7 tick 3\n8 tick 4\n8 done\n");
    // Start, the wake-ups at 2, 7 (delay) and 8: the iterations due at 0 and
    // 7 ran without suspending.
    assert_eq!(ran.outcome.events, 4);
    assert_eq!(ran.outcome.end_time, 8.0);
}

/// `every PERIOD { print("{now} ...") }` forever; slot 2 = iteration, 3 = t0;
/// the period comes from global 0.
fn every_forever(cx: &common::Ctx, label: &str) -> u32 {
    loop {
        match cx.state() {
            0 => {
                cx.set_int(2, 0);
                cx.set_float(3, cx.now());
                cx.goto(1);
            }
            1 => {
                let period = f64::from_bits(cx.global(0));
                let due = cx.float(3) + cx.int(2) as f64 * period;
                if let Some(code) = cx.pause(cx.wait_until(due), 2) {
                    return code;
                }
                cx.goto(2);
            }
            _ => {
                cx.print(format_args!("{}{label}", cx.now()));
                cx.set_int(2, cx.int(2) + 1);
                cx.goto(1);
            }
        }
    }
}

step!(every_tick, |cx| every_forever(&cx, ""));
step!(every_a, |cx| every_forever(&cx, " a"));
step!(c09_b, |cx| {
    cx.say("b");
    STEP_DONE
});

#[test]
fn c05_horizon_is_inclusive() {
    let model =
        program_with_global0(vec![kind("tick", every_tick, 4, 0)], vec![root(0, &[])], Some(10.0), 5.0f64.to_bits());
    let ran = run_fifo(&model);
    assert_eq!(ran.output, "0\n5\n10\n");
    assert_eq!(ran.outcome.end_time, 10.0);
    assert_eq!(ran.outcome.events, 3);
    assert_eq!(ran.outcome.waiting, vec![]);
}

#[test]
fn the_configured_horizon_overrides_the_programs() {
    let model =
        program_with_global0(vec![kind("tick", every_tick, 4, 0)], vec![root(0, &[])], Some(10.0), 5.0f64.to_bits());
    let capture = common::Capture::default();
    let config = RunConfig {
        seed: 0,
        horizon: Some(12.5),
        tie_order: TieOrder::Fifo,
        output: Box::new(capture.clone()),
        trace: false,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    };
    let outcome = run(&model, config);
    assert_eq!(capture.text(), "0\n5\n10\n");
    assert_eq!(outcome.end_time, 12.5);
}

#[test]
fn c09_a_due_iteration_starts_without_suspending() {
    let model = program_with_global0(
        vec![kind("a", every_a, 4, 0), kind("b", c09_b, 2, 0)],
        vec![root(0, &[]), root(1, &[])],
        Some(0.0),
        1.0f64.to_bits(),
    );
    let ran = run_fifo(&model);
    assert_eq!(ran.output, "0 a\n0 b\n");
    assert_eq!(ran.outcome.end_time, 0.0);
    assert_eq!(ran.outcome.events, 2);
}

// c06_stop: two workers share the global `count` (global 0); slot 2 = id.
step!(c06_worker, |cx| loop {
    match cx.state() {
        0 => return cx.wait(cx.delay(cx.int(2) as f64, NO_SPAN), 1),
        _ => {
            let count = cx.global(0) + 1;
            cx.set_global(0, count);
            if count == 7 {
                cx.say(format_args!("stop by worker {}", cx.int(2)));
                return STEP_STOP;
            }
            cx.goto(0);
        }
    }
});

#[test]
fn c06_stop_ends_the_run_at_once() {
    let kinds = vec![kind("worker", c06_worker, 3, 1)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[2]), root(0, &[3])], None));
    assert_eq!(ran.output, "9 stop by worker 3\n");
    assert!(ran.outcome.stopped);
    assert_eq!(ran.outcome.end_time, 9.0);
    assert_eq!(ran.outcome.globals[0], 7);
    // worker 2 runs at 0, 2, 4, 6, 8; worker 3 at 0, 3, 6, 9.
    assert_eq!(ran.outcome.events, 9);
    assert_eq!(ran.outcome.error, None);
}

// Slot 2 = delay before printing; prints at the time it wakes.
step!(sleep_then_say, |cx| match cx.state() {
    0 => cx.wait(cx.delay(cx.float(2), NO_SPAN), 1),
    _ => {
        cx.say("woke");
        STEP_DONE
    }
});

#[test]
fn events_just_after_the_horizon_do_not_run() {
    let just_after = f64::from_bits(10.0f64.to_bits() + 1);
    let kinds = vec![kind("sleeper", sleep_then_say, 3, 1)];
    let roots = vec![root(0, &[10.0f64.to_bits()]), root(0, &[just_after.to_bits()])];
    let ran = run_fifo(&program(kinds, roots, Some(10.0)));
    assert_eq!(ran.output, "10 woke\n");
    assert_eq!(ran.outcome.end_time, 10.0);
    assert_eq!(ran.outcome.events, 3);
    assert_eq!(ran.outcome.waiting, vec![], "delayed processes are not listed");
}

#[test]
fn without_a_horizon_the_run_ends_at_the_last_event() {
    let kinds = vec![kind("sleeper", sleep_then_say, 3, 1)];
    let roots = vec![root(0, &[2.5f64.to_bits()]), root(0, &[1.0f64.to_bits()])];
    let ran = run_fifo(&program(kinds, roots, None));
    assert_eq!(ran.output, "1 woke\n2.5 woke\n");
    assert_eq!(ran.outcome.end_time, 2.5);
}

#[test]
fn a_horizon_beyond_the_last_event_is_the_end_time() {
    let kinds = vec![kind("sleeper", sleep_then_say, 3, 1)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[1.0f64.to_bits()])], Some(50.0)));
    assert_eq!(ran.outcome.end_time, 50.0);
}

// `at` resumes at exactly its time, and `at(now)` yields like `instant`.
// Slot 2 = the time to wait for.
step!(at_exact, |cx| match cx.state() {
    0 => cx.wait(cx.delay(0.1, NO_SPAN), 1),
    1 => cx.wait(cx.at(cx.float(2), NO_SPAN), 2),
    _ => {
        let exact = cx.now().to_bits() == cx.float(2).to_bits();
        cx.say(format_args!("at, exact: {exact}"));
        STEP_DONE
    }
});

step!(at_now, |cx| match cx.state() {
    0 => cx.wait(cx.at(0.0, NO_SPAN), 1),
    _ => {
        cx.say("after at(now)");
        STEP_DONE
    }
});

#[test]
fn at_resumes_at_exactly_its_time() {
    let kinds = vec![kind("at", at_exact, 3, 1), kind("now", at_now, 2, 0), kind("c", c02_c, 2, 0)];
    let roots = vec![root(0, &[0.3f64.to_bits()]), root(0, &[(1.0f64 / 3.0).to_bits()]), root(1, &[]), root(2, &[])];
    let ran = run_fifo(&program(kinds, roots, None));
    assert_eq!(ran.output, "0 c start\n0 after at(now)\n0.3 at, exact: true\n0.3333333333333333 at, exact: true\n");
}

// Random tie order: six processes print at 0 and at 1; slot 2 = id.
step!(named, |cx| match cx.state() {
    0 => {
        cx.print(cx.int(2));
        cx.wait(cx.delay(1.0, NO_SPAN), 1)
    }
    _ => {
        cx.print(format_args!("{} again", cx.int(2)));
        STEP_DONE
    }
});

fn six_named() -> Program<'static> {
    let roots = (0..6).map(|id| root(0, &[id])).collect();
    program(vec![kind("named", named, 3, 1)], roots, None)
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_unstable();
    lines
}

#[test]
fn random_tie_order_is_seeded_and_shuffles() {
    let model = six_named();
    let fifo = run_fifo(&model).output;
    assert_eq!(fifo, "0\n1\n2\n3\n4\n5\n0 again\n1 again\n2 again\n3 again\n4 again\n5 again\n");
    let mut shuffled_seeds = 0;
    for seed in 0..20 {
        let first = run_with(&model, seed, TieOrder::Random);
        let second = run_with(&model, seed, TieOrder::Random);
        assert_eq!(first.output, second.output, "seed {seed} must replay");
        assert_eq!(sorted_lines(&first.output), sorted_lines(&fifo));
        let lines: Vec<&str> = first.output.lines().collect();
        assert!(lines[..6].iter().all(|line| !line.contains("again")), "time 0 first");
        if first.output != fifo {
            shuffled_seeds += 1;
        }
    }
    assert!(shuffled_seeds >= 15, "only {shuffled_seeds} of 20 seeds shuffled");
    assert_ne!(run_with(&model, 3, TieOrder::Random).output, run_with(&model, 4, TieOrder::Random).output);
}

// Draws three model random numbers (and yields between draws).
step!(draws, |cx| {
    let state = cx.state();
    cx.print(format_args!("draw {}", cx.with_rt(|rt| rt.rng().next_u64())));
    if state == 2 {
        return STEP_DONE;
    }
    cx.wait(cx.instant(), state + 1)
});

#[test]
fn tie_order_does_not_change_the_model_random_numbers() {
    let kinds = vec![kind("draws", draws, 2, 0), kind("named", named, 3, 1)];
    let model = program(kinds, vec![root(0, &[]), root(1, &[1]), root(1, &[2])], None);
    let draws_of = |output: String| -> Vec<String> {
        output.lines().filter(|line| line.starts_with("draw")).map(str::to_string).collect()
    };
    let fifo = draws_of(run_with(&model, 99, TieOrder::Fifo).output);
    assert_eq!(fifo.len(), 3);
    let random = run_with(&model, 99, TieOrder::Random).output;
    assert_ne!(random, run_with(&model, 99, TieOrder::Fifo).output, "seed 99 shuffles");
    assert_eq!(draws_of(random), fifo);
    assert_ne!(draws_of(run_with(&model, 100, TieOrder::Fifo).output), fifo);
}

// Wakes at 1; slot 2 = 1 if it spawns a `c` then (kind 1).
step!(wake_and_spawn, |cx| match cx.state() {
    0 => cx.wait(cx.delay(1.0, NO_SPAN), 1),
    _ => {
        cx.say(format_args!("woke, spawning: {}", cx.slot(2)));
        if cx.slot(2) == 1 {
            cx.spawn(1, &[]);
        }
        STEP_DONE
    }
});

#[test]
fn wakeups_due_now_run_before_what_is_scheduled_now() {
    let kinds = vec![kind("waker", wake_and_spawn, 3, 1), kind("c", c02_c, 2, 0)];
    let roots = vec![root(0, &[1]), root(0, &[0])];
    let ran = run_fifo(&program(kinds, roots, None));
    assert_eq!(ran.output, "1 woke, spawning: 1\n1 woke, spawning: 0\n1 c start\n");
}
