//! The host functions called the way generated code calls them: from the step
//! function of a process that the real runtime drives. Each test's step is a
//! hand-written `extern "C"` function standing in for compiled code; it passes
//! values back through the globals block, `print` output and the run's error.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use usim_runtime::{
    encode_span, run, ProcessKind, Program, ProgramParts, Root, RunConfig, Runtime, RuntimeError, SharedBuffer, StepFn,
    TieOrder, FRAME_HEADER_SLOTS, STEP_DONE, STEP_ERROR,
};
use usim_stdlib::host::*;
use usim_stdlib::random;

/// What one run left behind.
struct Ran {
    output: String,
    globals: Vec<u64>,
    error: Option<RuntimeError>,
}

/// Runs `step` as the only root process, with these initial globals.
fn run_step(step: StepFn, globals: Vec<u64>, seed: u64) -> Ran {
    let parts = ProgramParts {
        kinds: vec![ProcessKind {
            name: "main".into(),
            step,
            frame_slots: FRAME_HEADER_SLOTS,
            param_slots: 0,
            result_start: 0,
            result_slots: 0,
        }],
        globals,
        roots: vec![Root { kind: 0, args: vec![] }],
        ..ProgramParts::default()
    };
    // SAFETY: the steps of these tests follow the step ABI and touch only
    // their header slots and the globals they are given.
    let program = unsafe { Program::new(parts) };
    let captured = SharedBuffer::default();
    let config = RunConfig {
        seed,
        horizon: None,
        tie_order: TieOrder::Fifo,
        output: Box::new(captured.clone()),
        trace: false,
        max_processes: RunConfig::DEFAULT_MAX_PROCESSES,
        stream: None,
        warmup: None,
        progress: None,
        series: None,
    };
    let outcome = run(&program, config);
    let output = String::from_utf8(captured.bytes()).unwrap();
    Ran { output, globals: outcome.globals, error: outcome.error }
}

/// The span every failing call in these tests reports.
const SPAN: i64 = encode_span(10, 24);

/// What a step returns after a fallible call: as generated code does, it
/// checks the error flag the call may have set.
///
/// # Safety
/// `rt` points to the live runtime.
unsafe fn status(rt: *mut Runtime) -> u32 {
    // SAFETY: the caller passes the live runtime; nothing else borrows it.
    if unsafe { (*rt).header.error } != 0 {
        STEP_ERROR
    } else {
        STEP_DONE
    }
}

unsafe extern "C" fn print_two_lines(_: *mut u64, _: *mut u64, rt: *mut Runtime) -> u32 {
    let piece = |text: &str| {
        // SAFETY: `rt` is the live runtime and `text` is valid for its length.
        unsafe { usim_text_str(rt, text.as_ptr(), text.len() as u64) }
    };
    // SAFETY: `rt` is the live runtime the step was called with.
    unsafe {
        piece("n = ");
        usim_text_int(rt, -42);
        piece(", sum = ");
        usim_text_float(rt, 0.1 + 0.2);
        piece(", total = ");
        usim_text_float(rt, 2.0 * 50.0);
        piece(", third = ");
        usim_text_float_prec(rt, 1.0 / 3.0, 3);
        piece(", two = ");
        usim_text_float_prec(rt, 2.0, 2);
        usim_print_end(rt);
        usim_text_float(rt, f64::NAN);
        piece(" ");
        usim_text_float(rt, f64::INFINITY);
        piece(" ");
        usim_text_float(rt, f64::NEG_INFINITY);
        piece(" ");
        usim_text_bool(rt, 1);
        piece(" ");
        usim_text_bool(rt, 0);
        usim_text_str(rt, std::ptr::null(), 0);
        usim_print_end(rt);
    }
    STEP_DONE
}

#[test]
fn print_builds_lines_from_pieces() {
    let ran = run_step(print_two_lines, vec![], 1);
    assert_eq!(ran.error, None);
    assert_eq!(
        ran.output,
        "n = -42, sum = 0.30000000000000004, total = 100, third = 0.333, two = 2.00\n\
         NaN inf -inf true false\n"
    );
}

unsafe extern "C" fn print_invalid_utf8(_: *mut u64, _: *mut u64, rt: *mut Runtime) -> u32 {
    let bytes = [b'a', 0xff, b'b'];
    // SAFETY: `rt` is the live runtime and `bytes` is valid for its length.
    unsafe {
        usim_text_str(rt, bytes.as_ptr(), bytes.len() as u64);
        usim_print_end(rt);
    }
    STEP_DONE
}

#[test]
fn invalid_utf8_in_a_literal_is_replaced_not_trusted() {
    assert_eq!(run_step(print_invalid_utf8, vec![], 1).output, "a\u{fffd}b\n");
}

unsafe extern "C" fn fail_with_text(_: *mut u64, _: *mut u64, rt: *mut Runtime) -> u32 {
    let text = "queue overflow at ";
    // SAFETY: `rt` is the live runtime and `text` is valid for its length.
    unsafe {
        usim_text_str(rt, text.as_ptr(), text.len() as u64);
        usim_text_int(rt, 7);
        usim_fail_end(rt, SPAN);
        status(rt)
    }
}

#[test]
fn fail_raises_the_composed_text_at_its_span() {
    let ran = run_step(fail_with_text, vec![], 1);
    let error = ran.error.expect("fail raises an error");
    assert_eq!(error.message, "queue overflow at 7");
    assert_eq!(error.span, Some((10, 24)));
    assert_eq!(ran.output, "");
}

unsafe extern "C" fn convert(_: *mut u64, globals: *mut u64, rt: *mut Runtime) -> u32 {
    // SAFETY: `rt` is the live runtime and `globals` holds the four slots the
    // test gave the program.
    unsafe {
        let input = f64::from_bits(*globals);
        *globals.add(1) = usim_round(rt, input, SPAN) as u64;
        if status(rt) == STEP_ERROR {
            return STEP_ERROR;
        }
        *globals.add(2) = usim_int(rt, input, SPAN) as u64;
        status(rt)
    }
}

#[test]
fn round_and_int_return_values_or_raise() {
    let ran = run_step(convert, vec![(-2.5f64).to_bits(), 0, 0], 1);
    assert_eq!(ran.error, None);
    assert_eq!(ran.globals[1] as i64, -3);
    assert_eq!(ran.globals[2] as i64, -2);

    let ran = run_step(convert, vec![2.5f64.to_bits(), 0, 0], 1);
    assert_eq!((ran.globals[1] as i64, ran.globals[2] as i64), (3, 2));

    for (input, message) in [
        (f64::NAN, "round(x) of NaN has no int value"),
        (1e19, "round(x) is out of the int range, got round(10000000000000000000)"),
    ] {
        let ran = run_step(convert, vec![input.to_bits(), 0, 0], 1);
        let error = ran.error.expect("an error");
        assert_eq!(error.message, message);
        assert_eq!(error.span, Some((10, 24)));
    }
}

/// Calls the random built-in numbered by `globals[0]` with a bad argument.
unsafe extern "C" fn bad_random_call(_: *mut u64, globals: *mut u64, rt: *mut Runtime) -> u32 {
    // SAFETY: `rt` is the live runtime and `globals` holds the one slot the
    // test gave the program.
    unsafe {
        let returned = match *globals {
            0 => usim_uniform(rt, 3.0, 1.0, SPAN),
            1 => usim_exponential(rt, -1.0, SPAN),
            2 => usim_normal(rt, 0.0, -1.0, SPAN),
            3 => usim_lognormal(rt, 0.0, 1.0, SPAN),
            4 => usim_triangular(rt, 1.0, 5.0, 3.0, SPAN),
            5 => usim_randint(rt, 5, 1, SPAN) as f64,
            6 => f64::from(usim_bernoulli(rt, f64::NAN, SPAN)),
            _ => usim_poisson(rt, -1.0, SPAN) as f64,
        };
        // A failed call returns zero, which generated code discards.
        *globals = returned.to_bits();
        status(rt)
    }
}

#[test]
fn every_random_builtin_raises_on_a_bad_argument() {
    let expected = [
        "uniform(lo, hi) needs lo <= hi, got uniform(3, 1)",
        "exponential(mean) needs a mean > 0, got -1",
        "normal(mean, sd) needs an sd >= 0, got -1",
        "lognormal(mean, sd) needs a mean > 0, got 0",
        "triangular(lo, mode, hi) needs lo <= mode <= hi, got triangular(1, 5, 3)",
        "randint(lo, hi) needs lo <= hi, got randint(5, 1)",
        "bernoulli(p) needs 0 <= p <= 1, got NaN",
        "poisson(mean) needs a mean >= 0, got -1",
    ];
    for (selector, message) in expected.into_iter().enumerate() {
        let ran = run_step(bad_random_call, vec![selector as u64], 1);
        let error = ran.error.expect(message);
        assert_eq!(error.message, message);
        assert_eq!(error.span, Some((10, 24)));
        assert_eq!(error.process, "main");
        assert_eq!(f64::from_bits(ran.globals[0]), 0.0, "{message}");
    }
}

/// Draws one value from every random built-in into `globals[0..8]`.
unsafe extern "C" fn draw_each(_: *mut u64, globals: *mut u64, rt: *mut Runtime) -> u32 {
    // SAFETY: `rt` is the live runtime and `globals` holds the eight slots
    // the test gave the program.
    unsafe {
        *globals = usim_uniform(rt, 0.0, 10.0, SPAN).to_bits();
        *globals.add(1) = usim_exponential(rt, 2.0, SPAN).to_bits();
        *globals.add(2) = usim_normal(rt, 1.0, 0.5, SPAN).to_bits();
        *globals.add(3) = usim_lognormal(rt, 10.0, 2.0, SPAN).to_bits();
        *globals.add(4) = usim_triangular(rt, 0.0, 1.0, 4.0, SPAN).to_bits();
        *globals.add(5) = usim_randint(rt, 1, 6, SPAN) as u64;
        *globals.add(6) = u64::from(usim_bernoulli(rt, 0.5, SPAN));
        *globals.add(7) = usim_poisson(rt, 3.0, SPAN) as u64;
        status(rt)
    }
}

#[test]
fn random_builtins_draw_from_the_seeded_model_stream() {
    let draws = |seed| {
        let ran = run_step(draw_each, vec![0; 8], seed);
        assert_eq!(ran.error, None);
        ran.globals
    };
    assert_eq!(draws(11), draws(11));
    assert_ne!(draws(11), draws(12));

    // The runtime seeds the model stream with `seed_from_u64(seed)`, so the
    // pure functions on that stream give exactly the same values.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let expected = vec![
        random::uniform(&mut rng, 0.0, 10.0).unwrap().to_bits(),
        random::exponential(&mut rng, 2.0).unwrap().to_bits(),
        random::normal(&mut rng, 1.0, 0.5).unwrap().to_bits(),
        random::lognormal(&mut rng, 10.0, 2.0).unwrap().to_bits(),
        random::triangular(&mut rng, 0.0, 1.0, 4.0).unwrap().to_bits(),
        random::randint(&mut rng, 1, 6).unwrap() as u64,
        u64::from(random::bernoulli(&mut rng, 0.5).unwrap()),
        random::poisson(&mut rng, 3.0).unwrap() as u64,
    ];
    assert_eq!(draws(11), expected);
}

#[test]
fn a_null_runtime_is_ignored_rather_than_dereferenced() {
    let rt = std::ptr::null_mut();
    // SAFETY: null is an allowed `rt`; nothing is read through it.
    unsafe {
        assert_eq!(usim_exponential(rt, 2.0, SPAN), 0.0);
        assert_eq!(usim_round(rt, 2.5, SPAN), 0);
        usim_text_int(rt, 1);
        usim_print_end(rt);
        usim_fail_end(rt, SPAN);
    }
}

#[test]
fn pure_maths_follows_ieee() {
    assert!(usim_ln(-1.0).is_nan());
    assert_eq!(usim_ln(0.0), f64::NEG_INFINITY);
    assert_eq!(usim_exp(0.0), 1.0);
    assert_eq!(usim_pow(2.0, 10.0), 1024.0);
    assert_eq!(usim_fmod(-7.5, 2.0), -1.5);
    assert!(usim_fmod(1.0, 0.0).is_nan());
}
