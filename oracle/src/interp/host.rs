//! Calling a host function by its [`HostFn`] entry, with the arguments as
//! the interpreter holds them (8-byte patterns).
//!
//! Each call goes through a function pointer of the entry's exact machine
//! signature (one match arm per signature the host lists use), so the
//! interpreter passes every argument in the register the generated code
//! would: an `I8` as a byte, an `I32` as a 32-bit value, an `F64` in a float
//! register. A host function with a signature not listed here is refused by
//! [`supported`], which a test checks against every registered function.

use usim_runtime::{AbiType, HostFn};

/// One argument or result as the interpreter holds it.
pub type Bits = u64;

macro_rules! abi_ty {
    (I8) => {
        u8
    };
    (I32) => {
        u32
    };
    (I64) => {
        u64
    };
    (F64) => {
        f64
    };
    (None) => {
        ()
    };
}

macro_rules! from_bits {
    (I8, $v:expr) => {
        $v as u8
    };
    (I32, $v:expr) => {
        $v as u32
    };
    (I64, $v:expr) => {
        $v
    };
    (F64, $v:expr) => {
        f64::from_bits($v)
    };
}

macro_rules! to_bits {
    (I8, $v:expr) => {
        u64::from($v)
    };
    (I32, $v:expr) => {
        u64::from($v)
    };
    (I64, $v:expr) => {
        $v
    };
    (F64, $v:expr) => {
        f64::to_bits($v)
    };
    (None, $v:expr) => {{
        let () = $v;
        0
    }};
}

macro_rules! ret_pattern {
    (None) => {
        None
    };
    ($r:ident) => {
        Some(AbiType::$r)
    };
}

macro_rules! signatures {
    ($( [$($p:ident),*] -> $r:ident ),* $(,)?) => {
        /// Calls `f` with `args`.
        ///
        /// # Safety
        /// `f` must be a host function of the runtime or the standard
        /// library, and the arguments what generated code would pass it
        /// (the runtime pointer of the running step first, where it takes one).
        pub unsafe fn call(f: &HostFn, args: &[Bits]) -> Bits {
            assert_eq!(args.len(), f.params.len(), "host `{}` takes {} arguments", f.name, f.params.len());
            #[allow(unused_mut, unused_variables)]
            let mut next = args.iter().copied();
            match (f.params, f.ret) {
                $(
                    (&[$(AbiType::$p),*], ret_pattern!($r)) => {
                        // SAFETY: the entry's signature is this arm's, derived from
                        // the function's own Rust type by `HostFn::of`.
                        let g = unsafe {
                            std::mem::transmute::<*const u8, unsafe extern "C" fn($(abi_ty!($p)),*) -> abi_ty!($r)>(f.address)
                        };
                        // SAFETY: the caller vouches for the arguments.
                        let result = unsafe { g($(from_bits!($p, next.next().unwrap_or_default())),*) };
                        to_bits!($r, result)
                    }
                )*
                (params, ret) => panic!("the interpreter cannot call host `{}`: {params:?} -> {ret:?}", f.name),
            }
        }

        /// Whether [`call`] can call `f`.
        pub fn supported(f: &HostFn) -> bool {
            matches!((f.params, f.ret), $( (&[$(AbiType::$p),*], ret_pattern!($r)) )|*)
        }
    };
}

signatures! {
    [F64] -> F64,
    [F64, F64] -> F64,
    [I64] -> None,
    [I64] -> I32,
    [I64] -> I64,
    [I64, F64] -> None,
    [I64, F64] -> I32,
    [I64, I8] -> None,
    [I64, I32] -> I32,
    [I64, I64] -> None,
    [I64, I64] -> F64,
    [I64, I64] -> I32,
    [I64, I64] -> I64,
    [I64, F64, I32] -> None,
    [I64, F64, I64] -> None,
    [I64, F64, I64] -> F64,
    [I64, F64, I64] -> I32,
    [I64, F64, I64] -> I64,
    [I64, F64, I64] -> I8,
    [I64, I32, F64] -> None,
    [I64, I32, I64] -> None,
    [I64, I32, I64] -> I32,
    [I64, I64, I32] -> I32,
    [I64, I64, I32] -> I64,
    [I64, I8, I64] -> None,
    [I64, I64, I64] -> None,
    [I64, I64, I64] -> I32,
    [I64, F64, F64, I64] -> F64,
    [I64, I32, I64, I32] -> I64,
    [I64, I64, F64, I64] -> I32,
    [I64, I64, I64, I32] -> None,
    [I64, I64, I64, I32] -> I32,
    [I64, I64, I64, I64] -> None,
    [I64, I64, I64, I64] -> I64,
    [I64, F64, F64, F64, I64] -> F64,
    [I64, I32, I64, I32, I64] -> I64,
    [I64, I64, I64, I32, I64] -> None,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_host_function_can_be_called() {
        for f in usim_compiler::codegen::host_functions() {
            assert!(supported(&f), "add the signature of `{}` to `signatures!`: {:?} -> {:?}", f.name, f.params, f.ret);
        }
    }

    #[test]
    fn arguments_and_results_keep_their_bits() {
        let fmod = usim_compiler::codegen::host_functions().into_iter().find(|f| f.name == "usim_fmod").unwrap();
        // SAFETY: `usim_fmod` takes two floats and touches nothing else.
        let r = unsafe { call(&fmod, &[7.5f64.to_bits(), 2.0f64.to_bits()]) };
        assert_eq!(f64::from_bits(r), 1.5);
    }
}
