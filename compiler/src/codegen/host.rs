//! The host functions generated code calls: their symbols and signatures,
//! and the float libcalls Cranelift may emit.

use cranelift_codegen::ir::{types, Type as ClType};

use crate::ir::Scalar;
use usim_runtime as rt;
use usim_stdlib as stdlib;

pub(super) const I64: ClType = types::I64;
pub(super) const F64: ClType = types::F64;
pub(super) const I32: ClType = types::I32;
pub(super) const I8: ClType = types::I8;

pub(super) fn scalar_type(s: Scalar) -> ClType {
    match s {
        Scalar::Int => I64,
        Scalar::Float => F64,
        Scalar::Bool => I8,
    }
}

/// Every host function, from the runtime and the stdlib: the one list the
/// JIT registers symbols from and compiles calls against.
pub fn host_functions() -> Vec<rt::HostFn> {
    let mut all = rt::host_functions();
    all.extend(stdlib::host_functions());
    all
}

/// The machine type of a host ABI type.
pub(super) fn abi_type(t: rt::AbiType) -> ClType {
    match t {
        rt::AbiType::I8 => I8,
        rt::AbiType::I32 => I32,
        rt::AbiType::I64 => I64,
        rt::AbiType::F64 => F64,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every host built-in of the stdlib table is registered, once: cranelift-jit
    /// would otherwise fall back to a dlsym lookup at link time. (Signatures
    /// come from each function's own type; the stdlib's tests check the table
    /// agrees with them.)
    #[test]
    fn every_host_symbol_is_registered_once() {
        let functions = host_functions();
        let names: Vec<&str> = functions.iter().map(|f| f.name).collect();
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

    /// Every host function the code generator names is in the table, so
    /// none is looked up by a name that drifted from its function's.
    #[test]
    fn every_host_symbol_codegen_calls_is_declared() {
        let functions = host_functions();
        let source = concat!(include_str!("function.rs"), include_str!("mod.rs"));
        let mut called = Vec::new();
        for piece in source.split('"').skip(1).step_by(2) {
            if piece.starts_with("usim_") && piece.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                called.push(piece);
            }
        }
        assert!(called.len() >= 25, "the scan found only {called:?}");
        for symbol in called {
            assert!(functions.iter().any(|f| f.name == symbol), "codegen calls `{symbol}`, which is not declared");
        }
    }
}
