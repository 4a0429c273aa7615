//! The one declaration of every host function: its symbol, its address and
//! its machine signature, the last derived from the Rust function's own type,
//! so the code generator can never call a host function with a signature it
//! does not have. The runtime's list is [`crate::host::host_functions`]; the
//! standard library builds its own with the same [`host_fns!`] macro.

/// A machine type of a host function's parameter or result. Pointers and
/// handles are 64-bit integers (usim targets 64-bit machines only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbiType {
    I8,
    I32,
    I64,
    F64,
}

/// A Rust type that crosses the host ABI as one [`AbiType`].
pub trait AbiValue {
    const TYPE: AbiType;
}

macro_rules! abi_values {
    ($($ty:ty => $abi:ident),* $(,)?) => {
        $(impl AbiValue for $ty { const TYPE: AbiType = AbiType::$abi; })*
    };
}

abi_values! { u8 => I8, u32 => I32, i32 => I32, u64 => I64, i64 => I64, f64 => F64 }

impl<T> AbiValue for *mut T {
    const TYPE: AbiType = AbiType::I64;
}

impl<T> AbiValue for *const T {
    const TYPE: AbiType = AbiType::I64;
}

/// A host function's result: nothing, or one value.
pub trait AbiReturn {
    const TYPE: Option<AbiType>;
}

impl AbiReturn for () {
    const TYPE: Option<AbiType> = None;
}

impl<T: AbiValue> AbiReturn for T {
    const TYPE: Option<AbiType> = Some(T::TYPE);
}

/// The signature of an `extern "C"` function pointer type.
pub trait HostSignature: Copy {
    const PARAMS: &'static [AbiType];
    const RET: Option<AbiType>;
    fn address(self) -> *const u8;
}

macro_rules! host_signatures {
    ($($arg:ident),*) => {
        impl<$($arg: AbiValue,)* R: AbiReturn> HostSignature for unsafe extern "C" fn($($arg),*) -> R {
            const PARAMS: &'static [AbiType] = &[$($arg::TYPE),*];
            const RET: Option<AbiType> = R::TYPE;
            fn address(self) -> *const u8 {
                self as *const u8
            }
        }
    };
}

host_signatures!(A);
host_signatures!(A, B);
host_signatures!(A, B, C);
host_signatures!(A, B, C, D);
host_signatures!(A, B, C, D, E);
host_signatures!(A, B, C, D, E, F);

/// One host function: what the JIT registers and what calls to it are
/// compiled against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFn {
    pub name: &'static str,
    pub address: *const u8,
    pub params: &'static [AbiType],
    pub ret: Option<AbiType>,
}

impl HostFn {
    /// The entry for `function`, whose signature comes from its type.
    pub fn of<F: HostSignature>(name: &'static str, function: F) -> HostFn {
        HostFn { name, address: function.address(), params: F::PARAMS, ret: F::RET }
    }
}

/// Lists host functions as [`HostFn`]s: `host_fns![usim_delay(3), ...]`,
/// each with its number of parameters (the cast to a function pointer of that
/// arity fails to compile if it is wrong; the types are inferred). The symbol
/// is the function's own name, so the two cannot drift apart.
#[macro_export]
macro_rules! host_fns {
    (@pointer $f:path, 1) => { $f as unsafe extern "C" fn(_) -> _ };
    (@pointer $f:path, 2) => { $f as unsafe extern "C" fn(_, _) -> _ };
    (@pointer $f:path, 3) => { $f as unsafe extern "C" fn(_, _, _) -> _ };
    (@pointer $f:path, 4) => { $f as unsafe extern "C" fn(_, _, _, _) -> _ };
    (@pointer $f:path, 5) => { $f as unsafe extern "C" fn(_, _, _, _, _) -> _ };
    (@pointer $f:path, 6) => { $f as unsafe extern "C" fn(_, _, _, _, _, _) -> _ };
    ($($f:ident($arity:tt)),* $(,)?) => {
        vec![$($crate::host_abi::HostFn::of(stringify!($f), $crate::host_fns!(@pointer $f, $arity))),*]
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe extern "C" fn sample(_rt: *mut u8, _x: f64, _n: u32) -> i64 {
        0
    }

    extern "C" fn plain(_b: u8) {}

    #[test]
    fn signatures_come_from_the_function_type() {
        let [first, second]: [HostFn; 2] = host_fns![sample(3), plain(1)].try_into().unwrap();
        assert_eq!(first.name, "sample");
        assert_eq!(first.params, &[AbiType::I64, AbiType::F64, AbiType::I32]);
        assert_eq!(first.ret, Some(AbiType::I64));
        assert_eq!(second.params, &[AbiType::I8]);
        assert_eq!(second.ret, None);
        assert_eq!(first.address, sample as *const u8);
    }
}
