//! Processes waiting for each other: `await` of handles with return values,
//! cancel, scopes, the waiting list, and the reuse of frames.

#[macro_use]
mod common;

use common::{kind, kind_returning, program, root, run_fifo};
use usim_runtime::*;

// c04_join_cancel. Kinds:
const SQUARE: u32 = 0;
const SLEEPER: u32 = 1;
const MAIN: u32 = 2;

// square(n) -> int: slot 2 = n, result in slot 3.
step!(square, |cx| match cx.state() {
    0 => cx.wait(cx.delay(cx.int(2) as f64, NO_SPAN), 1),
    _ => {
        cx.set_int(3, cx.int(2) * cx.int(2));
        STEP_DONE
    }
});

step!(sleeper, |cx| match cx.state() {
    0 => cx.wait(cx.delay(100.0, NO_SPAN), 1),
    _ => {
        cx.say("sleeper woke");
        STEP_DONE
    }
});

// Slots: 2 = total, 3 = i, 4 = h, 5 = s.
step!(c04_main, |cx| loop {
    match cx.state() {
        0 => {
            cx.set_int(2, 0);
            cx.set_int(3, 1);
            cx.goto(1);
        }
        1 => {
            if cx.int(3) >= 4 {
                cx.goto(3);
                continue;
            }
            cx.set_int(4, cx.spawn(SQUARE, &[cx.slot(3)]));
            cx.goto(2);
        }
        2 => {
            if let Some(code) = cx.pause(cx.join(cx.int(4), NO_SPAN), 2) {
                return code;
            }
            let value = cx.result(cx.int(4), 0) as i64;
            cx.set_int(2, cx.int(2) + value);
            cx.set_int(3, cx.int(3) + 1);
            cx.goto(1);
        }
        3 => {
            cx.say(format_args!("total {}", cx.int(2)));
            cx.set_int(5, cx.spawn(SLEEPER, &[]));
            return cx.wait(cx.delay(1.0, NO_SPAN), 4);
        }
        4 => {
            assert_eq!(cx.cancel(cx.int(5)), HOST_CONTINUE);
            cx.scope_enter();
            cx.spawn(SQUARE, &[2]);
            cx.spawn(SQUARE, &[4]);
            cx.goto(5);
        }
        5 => {
            if let Some(code) = cx.pause(cx.scope_exit(), 5) {
                return code;
            }
            cx.say("scope over");
            return STEP_DONE;
        }
        _ => unreachable!(),
    }
});

fn c04_kinds() -> Vec<ProcessKind> {
    vec![kind_returning("square", square, 4, 1, 3), kind("sleeper", sleeper, 2, 0), kind("main", c04_main, 6, 0)]
}

#[test]
fn c04_join_results_cancel_and_scope() {
    let ran = run_fifo(&program(c04_kinds(), vec![root(MAIN, &[])], None));
    assert_eq!(ran.output, "6 total 14\n11 scope over\n");
    assert_eq!(ran.outcome.error, None);
    // The cancelled sleeper's wake-up at 106 never runs: the run ends at 11.
    assert_eq!(ran.outcome.end_time, 11.0);
    // main 5 steps (start, three joins, delay) + 1 (scope over); squares 2
    // each (5 of them); the sleeper 1.
    assert_eq!(ran.outcome.events, 6 + 10 + 1);
    assert_eq!(ran.outcome.waiting, vec![]);
}

// Global 0 = the handle everyone awaits. worker() -> int returns 42 at 5.
step!(worker, |cx| match cx.state() {
    0 => cx.wait(cx.delay(5.0, NO_SPAN), 1),
    _ => {
        cx.set_int(2, 42);
        STEP_DONE
    }
});

// joiner(d): waits d, then awaits global 0; slot 2 = d.
step!(joiner, |cx| match cx.state() {
    0 => cx.wait(cx.delay(cx.float(2), NO_SPAN), 1),
    _ => {
        let handle = cx.global(0) as i64;
        if let Some(code) = cx.pause(cx.join(handle, NO_SPAN), 1) {
            return code;
        }
        let value = cx.result(handle, 0);
        cx.say(format_args!("joiner {} got {value}", cx.float(2)));
        STEP_DONE
    }
});

// Spawns the worker and three joiners that begin waiting at 3, 1 and 2;
// then awaits the worker itself at 10, long after it ended.
step!(joins_main, |cx| match cx.state() {
    0 => {
        cx.set_global(0, cx.spawn(1, &[]) as u64);
        for d in [3.0f64, 1.0, 2.0] {
            cx.spawn(2, &[d.to_bits()]);
        }
        cx.wait(cx.delay(10.0, NO_SPAN), 1)
    }
    _ => {
        let handle = cx.global(0) as i64;
        let code = cx.join(handle, NO_SPAN);
        cx.say(format_args!("main: join returned {code}, got {}", cx.result(handle, 0)));
        STEP_DONE
    }
});

#[test]
fn joiners_wake_in_the_order_they_began_to_wait() {
    let kinds =
        vec![kind("main", joins_main, 2, 0), kind_returning("worker", worker, 3, 0, 2), kind("joiner", joiner, 3, 1)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(
        ran.output,
        "5 joiner 1 got 42\n5 joiner 2 got 42\n5 joiner 3 got 42\n10 main: join returned 0, got 42\n"
    );
    // Awaiting an ended process does not suspend: main runs twice.
    // worker 2, joiners 3 each (start, begin waiting, resume).
    assert_eq!(ran.outcome.events, 2 + 2 + 9);
}

// result_twice(): awaits square(5) and square(10), which share one slot,
// then reads both results.
step!(result_twice, |cx| loop {
    match cx.state() {
        0 => {
            cx.set_int(2, cx.spawn(SQUARE, &[5]));
            cx.goto(1);
        }
        1 => {
            if let Some(code) = cx.pause(cx.join(cx.int(2), NO_SPAN), 1) {
                return code;
            }
            cx.set_int(3, cx.spawn(SQUARE, &[10]));
            cx.goto(2);
        }
        _ => {
            if let Some(code) = cx.pause(cx.join(cx.int(3), NO_SPAN), 2) {
                return code;
            }
            let first = cx.result(cx.int(2), 0);
            let second = cx.result(cx.int(3), 0);
            let slots = cx.with_rt(|rt| rt.process_slots());
            cx.say(format_args!("{first} {second} slots {slots}"));
            return STEP_DONE;
        }
    }
});

#[test]
fn results_outlive_the_frame_they_were_computed_in() {
    let kinds = vec![kind_returning("square", square, 4, 1, 3), kind("main", result_twice, 4, 0)];
    let ran = run_fifo(&program(kinds, vec![root(1, &[])], None));
    assert_eq!(ran.output, "15 25 100 slots 2\n");
}

// cancel_delayed(): spawns a sleeper, waits 1, cancels it.
step!(cancel_delayed, |cx| match cx.state() {
    0 => {
        cx.set_int(2, cx.spawn(SLEEPER, &[]));
        cx.wait(cx.delay(1.0, NO_SPAN), 1)
    }
    _ => {
        assert_eq!(cx.cancel(cx.int(2)), HOST_CONTINUE);
        // Cancelling again, or an ended process, does nothing.
        assert_eq!(cx.cancel(cx.int(2)), HOST_CONTINUE);
        cx.say("cancelled");
        STEP_DONE
    }
});

#[test]
fn a_cancelled_process_never_wakes() {
    let kinds = vec![kind("square", square, 4, 1), kind("sleeper", sleeper, 2, 0), kind("main", cancel_delayed, 3, 0)];
    let ran = run_fifo(&program(kinds, vec![root(2, &[])], None));
    assert_eq!(ran.output, "1 cancelled\n");
    assert_eq!(ran.outcome.events, 3);
    assert_eq!(ran.outcome.end_time, 1.0);
}

// Global 0 = handle of a sleeper that `waiter` awaits; main cancels it at 3.
step!(waiter, |cx| {
    let handle = cx.global(0) as i64;
    if let Some(code) = cx.pause(cx.join(handle, common_span()), 0) {
        return code;
    }
    cx.say("the join succeeded");
    STEP_DONE
});

fn common_span() -> i64 {
    encode_span(10, 20)
}

step!(cancel_awaited, |cx| match cx.state() {
    0 => {
        cx.set_global(0, cx.spawn(1, &[]) as u64);
        cx.spawn(2, &[]);
        cx.wait(cx.delay(3.0, NO_SPAN), 1)
    }
    _ => {
        cx.cancel(cx.global(0) as i64);
        cx.say("cancelled the sleeper");
        STEP_DONE
    }
});

#[test]
fn processes_awaiting_a_cancelled_one_get_an_error() {
    let kinds = vec![kind("main", cancel_awaited, 2, 0), kind("sleeper", sleeper, 2, 0), kind("waiter", waiter, 2, 0)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(ran.output, "3 cancelled the sleeper\n");
    let error = ran.outcome.error.expect("the waiter fails");
    assert_eq!(error.message, "awaiting a cancelled process (sleeper#2)");
    assert_eq!(error.span, Some((10, 20)));
    assert_eq!(error.time, 3.0);
    assert_eq!(error.process, "waiter#3");
    assert_eq!(ran.outcome.end_time, 3.0);
}

// Global 0 = own handle: cancels itself.
step!(self_canceller, |cx| {
    cx.say("about to cancel myself");
    if cx.cancel(cx.global(0) as i64) == HOST_CANCELLED_SELF {
        return STEP_CANCELLED;
    }
    cx.say("still here");
    STEP_DONE
});

step!(awaits_self_canceller, |cx| loop {
    match cx.state() {
        0 => {
            cx.set_global(0, cx.spawn(1, &[]) as u64);
            cx.goto(1);
        }
        _ => {
            if let Some(code) = cx.pause(cx.join(cx.global(0) as i64, NO_SPAN), 1) {
                return code;
            }
            cx.say("joined");
            return STEP_DONE;
        }
    }
});

#[test]
fn a_process_can_cancel_itself() {
    let kinds = vec![kind("main", awaits_self_canceller, 2, 0), kind("quitter", self_canceller, 2, 0)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(ran.output, "0 about to cancel myself\n");
    let error = ran.outcome.error.expect("main fails");
    assert_eq!(error.message, "awaiting a cancelled process (quitter#2)");
    assert_eq!(error.process, "main");
    assert_eq!(error.span, None);
}

// Scopes nested three deep: owner > child > grandchild, each waiting in a
// scope; main cancels the owner at 1. Global 1 counts processes that ran on.
step!(nest, |cx| loop {
    // Slot 2 = depth left.
    match cx.state() {
        0 => {
            if cx.int(2) == 0 {
                return cx.wait(cx.delay(10.0, NO_SPAN), 2);
            }
            cx.scope_enter();
            cx.spawn(1, &[cx.slot(2) - 1]);
            cx.spawn(1, &[0]);
            cx.goto(1);
        }
        1 => {
            if let Some(code) = cx.pause(cx.scope_exit(), 1) {
                return code;
            }
            cx.goto(2);
        }
        _ => {
            cx.say(format_args!("depth {} ran on", cx.int(2)));
            cx.set_global(1, cx.global(1) + 1);
            return STEP_DONE;
        }
    }
});

step!(cancels_owner, |cx| match cx.state() {
    0 => {
        cx.set_global(0, cx.spawn(1, &[2]) as u64);
        cx.wait(cx.delay(1.0, NO_SPAN), 1)
    }
    _ => {
        assert_eq!(cx.cancel(cx.global(0) as i64), HOST_CONTINUE);
        cx.say("cancelled the owner");
        STEP_DONE
    }
});

#[test]
fn cancelling_a_scope_owner_cancels_its_children_recursively() {
    let kinds = vec![kind("main", cancels_owner, 2, 0), kind("nest", nest, 3, 1)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(ran.output, "1 cancelled the owner\n");
    assert_eq!(ran.outcome.globals[1], 0);
    assert_eq!(ran.outcome.end_time, 1.0);
    assert_eq!(ran.outcome.waiting, vec![]);
    // main 2 steps; nest(2), nest(1), and three nest(0) start once each.
    assert_eq!(ran.outcome.events, 2 + 5);
}

#[test]
fn a_scope_waits_for_all_its_children() {
    let kinds = vec![kind("main", nest, 3, 1), kind("nest", nest, 3, 1)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[2])], None));
    assert_eq!(
        ran.output,
        "10 depth 0 ran on\n10 depth 0 ran on\n10 depth 0 ran on\n10 depth 1 ran on\n10 depth 2 ran on\n"
    );
}

// A child that cancels the owner of its own scope (global 0) is cancelled too.
step!(rebel, |cx| {
    let code = cx.cancel(cx.global(0) as i64);
    cx.say(format_args!("rebel: cancel returned {code}"));
    if code == HOST_CANCELLED_SELF {
        return STEP_CANCELLED;
    }
    STEP_DONE
});

step!(owner_of_rebel, |cx| match cx.state() {
    0 => {
        cx.scope_enter();
        cx.spawn(3, &[5.0f64.to_bits()]);
        cx.spawn(2, &[]);
        cx.wait(cx.scope_exit(), 1)
    }
    _ => {
        cx.say("owner ran on");
        STEP_DONE
    }
});

step!(starts_owner, |cx| match cx.state() {
    0 => {
        cx.set_global(0, cx.spawn(1, &[]) as u64);
        cx.wait(cx.delay(10.0, NO_SPAN), 1)
    }
    _ => {
        cx.say("done");
        STEP_DONE
    }
});

step!(sleep_then_say, |cx| match cx.state() {
    0 => cx.wait(cx.delay(cx.float(2), NO_SPAN), 1),
    _ => {
        cx.say("bystander woke");
        STEP_DONE
    }
});

#[test]
fn cancelling_the_owner_of_ones_own_scope_cancels_oneself() {
    let kinds = vec![
        kind("main", starts_owner, 2, 0),
        kind("owner", owner_of_rebel, 2, 0),
        kind("rebel", rebel, 2, 0),
        kind("bystander", sleep_then_say, 3, 1),
    ];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(ran.output, "0 rebel: cancel returned 1\n10 done\n");
    assert_eq!(ran.outcome.waiting, vec![]);
    assert_eq!(ran.outcome.error, None);
}

// A deadlock: p and q await each other, main awaits p; `holder` waits in a
// scope for a napper delayed past the horizon.
step!(deadlock_main, |cx| loop {
    match cx.state() {
        0 => {
            cx.set_global(0, cx.spawn(2, &[1]) as u64);
            cx.set_global(1, cx.spawn(2, &[0]) as u64);
            cx.goto(1);
        }
        _ => {
            if let Some(code) = cx.pause(cx.join(cx.global(0) as i64, NO_SPAN), 1) {
                return code;
            }
            return STEP_DONE;
        }
    }
});

// Slot 2 = which global holds the handle to await.
step!(awaits_global, |cx| {
    let handle = cx.global(cx.slot(2) as usize) as i64;
    if let Some(code) = cx.pause(cx.join(handle, NO_SPAN), 0) {
        return code;
    }
    STEP_DONE
});

step!(holder, |cx| match cx.state() {
    0 => cx.wait(cx.delay(2.0, NO_SPAN), 1),
    1 => {
        cx.scope_enter();
        cx.spawn(3, &[100.0f64.to_bits()]);
        cx.wait(cx.scope_exit(), 2)
    }
    _ => {
        if let Some(code) = cx.pause(cx.scope_exit(), 2) {
            return code;
        }
        STEP_DONE
    }
});

#[test]
fn a_deadlock_is_reported_in_the_waiting_list() {
    let kinds = vec![
        kind("main", deadlock_main, 2, 0),
        kind("holder", holder, 2, 0),
        kind("p", awaits_global, 3, 1),
        kind("napper", sleep_then_say, 3, 1),
    ];
    let ran = run_fifo(&program(kinds, vec![root(0, &[]), root(1, &[])], Some(50.0)));
    let waiting =
        |process: &str, on: &str, since: f64| Waiting { process: process.to_string(), on: on.to_string(), since };
    assert_eq!(
        ran.outcome.waiting,
        vec![
            waiting("main", "process p#3", 0.0),
            waiting("holder", "scope", 2.0),
            waiting("p#3", "process p#4", 0.0),
            waiting("p#4", "process p#3", 0.0),
        ]
    );
    assert_eq!(ran.outcome.end_time, 50.0);
    assert_eq!(ran.outcome.error, None);
}

// Spawns 10_000 short processes one after another, awaiting each, then
// 1_000 scopes of three; slot 2 = i, 3 = handle, 4 = total.
step!(short, |cx| match cx.state() {
    0 => cx.wait(cx.instant(), 1),
    _ => {
        cx.set_int(3, cx.int(2) * 2);
        STEP_DONE
    }
});

step!(many, |cx| loop {
    match cx.state() {
        0 => {
            if cx.int(2) == 10_000 {
                cx.set_int(2, 0);
                cx.goto(2);
                continue;
            }
            cx.set_int(3, cx.spawn(1, &[cx.slot(2)]));
            cx.goto(1);
        }
        1 => {
            if let Some(code) = cx.pause(cx.join(cx.int(3), NO_SPAN), 1) {
                return code;
            }
            let value = cx.result(cx.int(3), 0) as i64;
            cx.set_int(4, cx.int(4) + value);
            cx.set_int(2, cx.int(2) + 1);
            cx.goto(0);
        }
        2 => {
            if cx.int(2) == 1_000 {
                let slots = cx.with_rt(|rt| rt.process_slots());
                cx.say(format_args!("total {} slots {slots}", cx.int(4)));
                return STEP_DONE;
            }
            cx.scope_enter();
            for _ in 0..3 {
                cx.spawn(1, &[0]);
            }
            cx.goto(3);
        }
        _ => {
            if let Some(code) = cx.pause(cx.scope_exit(), 3) {
                return code;
            }
            cx.set_int(2, cx.int(2) + 1);
            cx.goto(2);
        }
    }
});

#[test]
fn frames_are_reused() {
    let kinds = vec![kind("many", many, 5, 0), kind_returning("short", short, 4, 1, 3)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(ran.output, "0 total 99990000 slots 4\n");
    // many: start + 10_000 joins + 1_000 scope exits; shorts: 2 steps each.
    assert_eq!(ran.outcome.events, 1 + 10_000 + 1_000 + 2 * 13_000);
}

// napper(n) -> int: sleeps n, returns 10 n. Slot 2 = n, result in slot 3.
step!(napper, |cx| match cx.state() {
    0 => cx.wait(cx.delay(cx.int(2) as f64, NO_SPAN), 1),
    _ => {
        cx.set_int(3, cx.int(2) * 10);
        STEP_DONE
    }
});

// Slots: 2, 3, 4 = handles. Each napper reuses the slot of the one before.
step!(reuses_slots, |cx| match cx.state() {
    0 => {
        cx.set_int(2, cx.spawn(0, &[1]));
        cx.wait(cx.join(cx.int(2), NO_SPAN), 1)
    }
    1 => {
        cx.set_int(3, cx.spawn(0, &[2]));
        assert_ne!(cx.int(2), cx.int(3), "a reused slot gets a new handle");
        assert_eq!(cx.with_rt(|rt| rt.process_slots()), 2);
        // The old handle still names the ended process, not the new one.
        assert_eq!(cx.cancel(cx.int(2)), HOST_CONTINUE);
        assert_eq!(cx.join(cx.int(2), NO_SPAN), HOST_CONTINUE);
        assert_eq!(cx.result(cx.int(2), 0), 10);
        cx.wait(cx.join(cx.int(3), NO_SPAN), 2)
    }
    _ => {
        cx.say(format_args!("results {} {}", cx.result(cx.int(2), 0), cx.result(cx.int(3), 0)));
        cx.set_int(4, cx.spawn(0, &[3]));
        assert_eq!(cx.cancel(cx.int(4)), HOST_CONTINUE);
        let next = cx.spawn(0, &[4]);
        assert_eq!(cx.result(cx.int(4), 0), 0, "a cancelled process has no result");
        assert_eq!(cx.result(next, 0), 0, "nor has a live one");
        assert_eq!(cx.with_rt(|rt| rt.process_slots()), 2);
        cx.wait(cx.join(cx.int(4), encode_span(3, 4)), 3)
    }
});

#[test]
fn handles_outlive_their_slot() {
    let kinds = vec![kind_returning("napper", napper, 4, 1, 3), kind("main", reuses_slots, 5, 0)];
    let ran = run_fifo(&program(kinds, vec![root(1, &[])], None));
    assert_eq!(ran.output, "3 results 10 20\n");
    let error = ran.outcome.error.expect("awaiting the cancelled napper fails");
    assert_eq!(error.message, "awaiting a cancelled process (napper#4)");
    assert_eq!((error.process.as_str(), error.span, error.time), ("main", Some((3, 4)), 3.0));
    assert_eq!(ran.outcome.waiting, vec![]);
}
