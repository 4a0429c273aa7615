//! Runtime errors (span, time, process), the interface built-ins use to
//! raise them, internal contract violations, and output buffering.

#[macro_use]
mod common;

use std::io::{self, Write};

use common::{kind, program, root, run_fifo};
use usim_runtime::*;

/// Runs one root `main` and, as its child, a `worker` with this step.
fn run_worker(step: StepFn) -> common::Ran {
    let kinds = vec![kind("main", spawns_worker, 2, 0), kind("worker", step, 4, 0)];
    run_fifo(&program(kinds, vec![root(0, &[])], None))
}

step!(spawns_worker, |cx| {
    cx.spawn(1, &[]);
    STEP_DONE
});

fn error_of(ran: &common::Ran) -> RuntimeError {
    ran.outcome.error.clone().expect("the run should fail")
}

step!(negative_delay, |cx| match cx.state() {
    0 => cx.wait(cx.delay(2.0, NO_SPAN), 1),
    1 => {
        cx.say("about to fail");
        cx.wait(cx.delay(-1.0, encode_span(5, 9)), 2)
    }
    _ => {
        cx.say("must not resume");
        STEP_DONE
    }
});

#[test]
fn a_negative_delay_is_an_error_with_span_time_and_process() {
    let ran = run_worker(negative_delay);
    assert_eq!(
        error_of(&ran),
        RuntimeError {
            message: "`delay` needs a duration >= 0, got -1".to_string(),
            span: Some((5, 9)),
            time: 2.0,
            process: "worker#2".to_string(),
        }
    );
    assert_eq!(ran.output, "2 about to fail\n", "output before the error is kept");
    assert_eq!(ran.outcome.end_time, 2.0);
    assert_eq!(ran.outcome.events, 3);
    assert!(!ran.outcome.stopped);
}

step!(nan_delay, |cx| cx.wait(cx.delay(f64::NAN, NO_SPAN), 1));

#[test]
fn a_nan_delay_is_an_error() {
    let error = error_of(&run_worker(nan_delay));
    assert_eq!(error.message, "`delay` needs a duration >= 0, got NaN");
    assert_eq!(error.span, None);
}

step!(at_in_the_past, |cx| match cx.state() {
    0 => cx.wait(cx.delay(2.0, NO_SPAN), 1),
    _ => cx.wait(cx.at(1.5, encode_span(1, 2)), 2),
});

step!(at_nan, |cx| cx.wait(cx.at(f64::NAN, NO_SPAN), 1));

#[test]
fn at_in_the_past_or_nan_is_an_error() {
    let error = error_of(&run_worker(at_in_the_past));
    assert_eq!(error.message, "`at(1.5)` is in the past: the time is already 2");
    assert_eq!((error.span, error.time), (Some((1, 2)), 2.0));
    assert_eq!(error_of(&run_worker(at_nan)).message, "`at` needs a time, got NaN");
}

step!(divides_by_zero, |cx| {
    cx.error(ERROR_DIVISION_BY_ZERO, encode_span(30, 35));
    STEP_ERROR
});

step!(bad_period, |cx| {
    cx.error(ERROR_EVERY_PERIOD, encode_span(0, 4));
    STEP_ERROR
});

step!(bad_index, |cx| {
    cx.index_error(5, 3, encode_span(7, 12));
    STEP_ERROR
});

#[test]
fn inline_errors_get_their_messages() {
    let error = error_of(&run_worker(divides_by_zero));
    assert_eq!(error.message, "division by zero");
    assert_eq!(error.span, Some((30, 35)));
    assert_eq!(error.process, "worker#2");
    assert_eq!(error_of(&run_worker(bad_period)).message, "`every` period must be greater than 0");
    let error = error_of(&run_worker(bad_index));
    assert_eq!(error.message, "index 5 is out of bounds for an array of length 3");
    assert_eq!(error.span, Some((7, 12)));
}

step!(fails, |cx| {
    cx.with_rt(|rt| {
        rt.text().push_str("boom: ");
        rt.text().push_str("3 left");
        rt.raise_with_text(encode_span(2, 8));
        // The second error is ignored: a run ends with its first.
        rt.raise("later".to_string(), NO_SPAN);
    });
    // A line after `fail` starts empty.
    cx.print("after");
    STEP_ERROR
});

#[test]
fn fail_raises_the_composed_text() {
    let ran = run_worker(fails);
    let error = error_of(&ran);
    assert_eq!(error.message, "boom: 3 left");
    assert_eq!(error.span, Some((2, 8)));
    assert_eq!(ran.output, "after\n");
}

step!(cancelled_then_awaited, |cx| {
    let handle = cx.spawn(2, &[]);
    cx.cancel(handle);
    cx.wait(cx.join(handle, encode_span(40, 47)), 1)
});

step!(idle, |_cx| STEP_DONE);

#[test]
fn awaiting_a_cancelled_process_fails_at_once() {
    let kinds =
        vec![kind("main", spawns_worker, 2, 0), kind("worker", cancelled_then_awaited, 2, 0), kind("idle", idle, 2, 0)];
    let ran = run_fifo(&program(kinds, vec![root(0, &[])], None));
    assert_eq!(
        error_of(&ran),
        RuntimeError {
            message: "awaiting a cancelled process (idle#3)".to_string(),
            span: Some((40, 47)),
            time: 0.0,
            process: "worker#2".to_string(),
        }
    );
}

step!(awaits_nothing, |cx| cx.wait(cx.join(0, NO_SPAN), 1));

#[test]
fn awaiting_an_invalid_handle_is_an_error() {
    let error = error_of(&run_worker(awaits_nothing));
    assert_eq!(error.message, "awaiting an invalid process handle (0)");
}

step!(suspends_without_waiting, |_cx| STEP_SUSPENDED);

step!(waits_twice, |cx| {
    cx.delay(1.0, NO_SPAN);
    cx.wait(cx.delay(2.0, NO_SPAN), 1)
});

step!(spawns_unknown_kind, |cx| {
    assert_eq!(cx.spawn(9, &[]), 0);
    STEP_ERROR
});

step!(returns_garbage, |_cx| 77);

step!(exits_unopened_scope, |cx| cx.wait(cx.scope_exit(), 1));

#[test]
fn contract_violations_are_internal_errors() {
    let cases: [(StepFn, &str); 5] = [
        (suspends_without_waiting, "a step returned STEP_SUSPENDED without registering a wait"),
        (waits_twice, "a process registered a second wait in one step"),
        (spawns_unknown_kind, "spawn of process kind 9, which does not exist"),
        (returns_garbage, "a step returned the unknown code 77"),
        (exits_unopened_scope, "a scope was closed that is not the innermost open block"),
    ];
    for (step, message) in cases {
        let error = error_of(&run_worker(step));
        assert_eq!(error.message, format!("internal error: {message}"));
        assert_eq!(error.process, "worker#2");
    }
}

// Prints 5_000 numbered lines, more than one 64 KiB chunk.
step!(chatty, |cx| {
    for line in 0..5_000 {
        cx.print(format_args!("line {line:05} of the chatty process"));
    }
    STEP_DONE
});

#[test]
fn long_output_arrives_whole_and_in_order() {
    let ran = run_worker(chatty);
    let expected: String = (0..5_000).map(|line| format!("line {line:05} of the chatty process\n")).collect();
    assert!(expected.len() > 64 * 1024);
    assert_eq!(ran.output, expected);
    assert_eq!(ran.outcome.error, None);
}

struct BrokenPipe;

impl Write for BrokenPipe {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(io::ErrorKind::BrokenPipe, "the reader went away"))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

step!(says_hello, |cx| {
    cx.print("hello");
    STEP_DONE
});

#[test]
fn a_failing_writer_is_a_runtime_error() {
    let model = program(vec![kind("hello", says_hello, 2, 0)], vec![root(0, &[])], None);
    let config = RunConfig {
        seed: 0,
        horizon: None,
        tie_order: TieOrder::Fifo,
        output: Box::new(BrokenPipe),
        trace: false,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    };
    let outcome = run(&model, config);
    let error = outcome.error.expect("writing fails");
    assert_eq!(error.message, "cannot write the output: the reader went away");
    assert_eq!(error.process, "");
    assert_eq!(outcome.events, 1);
}

// Reads the header; lowers `stack_left` as a `fn` call would, then yields.
step!(reads_header, |cx| {
    let (now, left) = cx.with_rt(|rt| (rt.header.now, rt.header.stack_left));
    cx.print(format_args!("now {now}, full budget: {}", left == STACK_BUDGET));
    cx.with_rt(|rt| rt.header.stack_left -= 100);
    if cx.state() == 1 {
        return STEP_DONE;
    }
    cx.wait(cx.delay(1.5, NO_SPAN), 1)
});

#[test]
fn every_step_starts_with_the_time_and_a_full_stack_budget() {
    let ran = run_fifo(&program(vec![kind("p", reads_header, 2, 0)], vec![root(0, &[])], None));
    assert_eq!(ran.output, "now 0, full budget: true\nnow 1.5, full budget: true\n");
}
