//! The host functions generated code calls: their symbols and signatures,
//! and the float libcalls Cranelift may emit.

use cranelift_codegen::ir::{types, Type as ClType};

use crate::ir::Scalar;
use usim_runtime as rt;
use usim_stdlib as stdlib;

type HostSig = (&'static [ClType], Option<ClType>);

pub(super) const I64: ClType = types::I64;
pub(super) const F64: ClType = types::F64;
pub(super) const I32: ClType = types::I32;
pub(super) const I8: ClType = types::I8;

/// The signatures of the runtime's and the print host functions. Stdlib
/// built-ins get theirs from the stdlib table.
pub(super) fn fixed_host_sig(symbol: &str) -> Option<HostSig> {
    Some(match symbol {
        "usim_spawn" => (&[I64, I32, I64, I32], Some(I64)),
        "usim_delay" | "usim_at" => (&[I64, F64, I64], Some(I32)),
        "usim_instant" | "usim_scope_exit" => (&[I64], Some(I32)),
        "usim_wait_until" => (&[I64, F64], Some(I32)),
        "usim_join" => (&[I64, I64, I64], Some(I32)),
        "usim_result" => (&[I64, I64, I32], Some(I64)),
        "usim_cancel" => (&[I64, I64], Some(I32)),
        "usim_scope_enter" | "usim_print_end" => (&[I64], None),
        "usim_error" => (&[I64, I32, I64], None),
        "usim_index_error" => (&[I64, I64, I64, I64], None),
        "usim_text_str" => (&[I64, I64, I64], None),
        "usim_text_int" => (&[I64, I64], None),
        "usim_text_float" => (&[I64, F64], None),
        "usim_text_float_prec" => (&[I64, F64, I32], None),
        "usim_text_bool" => (&[I64, I8], None),
        "usim_fail_end" => (&[I64, I64], None),
        "usim_fmod" => (&[F64, F64], Some(F64)),
        _ => return None,
    })
}

pub(super) fn stdlib_type(t: stdlib::Ty) -> ClType {
    match t {
        stdlib::Ty::Int => I64,
        stdlib::Ty::Float => F64,
        stdlib::Ty::Bool => I8,
    }
}

pub(super) fn scalar_type(s: Scalar) -> ClType {
    match s {
        Scalar::Int => I64,
        Scalar::Float => F64,
        Scalar::Bool => I8,
    }
}

/// Every host symbol, from the runtime and the stdlib.
pub fn host_symbols() -> Vec<(&'static str, *const u8)> {
    let mut all = rt::host_symbols();
    all.extend(stdlib::host_symbols());
    all
}

extern "C" fn libcall_floor(x: f64) -> f64 {
    x.floor()
}

extern "C" fn libcall_ceil(x: f64) -> f64 {
    x.ceil()
}

extern "C" fn libcall_trunc(x: f64) -> f64 {
    x.trunc()
}

extern "C" fn libcall_nearbyint(x: f64) -> f64 {
    x.round_ties_even()
}

/// The float rounding libcalls under the names `default_libcall_names` gives them.
pub(super) fn rounding_libcalls() -> [(&'static str, *const u8); 4] {
    [
        ("floor", libcall_floor as *const u8),
        ("ceil", libcall_ceil as *const u8),
        ("trunc", libcall_trunc as *const u8),
        ("nearbyint", libcall_nearbyint as *const u8),
    ]
}

/// The signature of a stdlib host built-in by symbol.
pub(super) fn stdlib_host_sig(symbol: &str) -> Option<(Vec<ClType>, ClType)> {
    for builtin in stdlib::builtins() {
        for sig in builtin.signatures {
            if let stdlib::Impl::Host { symbol: s, fallible } = sig.imp {
                if s == symbol {
                    let mut params = Vec::new();
                    if fallible {
                        params.push(I64);
                    }
                    params.extend(sig.params.iter().map(|p| stdlib_type(*p)));
                    if fallible {
                        params.push(I64);
                    }
                    return Some((params, stdlib_type(sig.ret)));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every registered host function has a signature codegen knows, and every
    /// host built-in of the stdlib table is registered: cranelift-jit would
    /// otherwise fall back to a dlsym lookup at link time.
    #[test]
    fn every_host_symbol_is_registered_with_a_signature() {
        let symbols = host_symbols();
        let names: Vec<&str> = symbols.iter().map(|(n, _)| *n).collect();
        for name in &names {
            assert!(
                fixed_host_sig(name).is_some() || stdlib_host_sig(name).is_some(),
                "host symbol `{name}` has no signature in codegen"
            );
        }
        for builtin in stdlib::builtins() {
            for sig in builtin.signatures {
                if let stdlib::Impl::Host { symbol, .. } = sig.imp {
                    assert!(names.contains(&symbol), "stdlib symbol `{symbol}` is not registered");
                }
            }
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a host symbol is registered twice");
    }
}
