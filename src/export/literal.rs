//! Number literals a PLC reads as the model means them.
//!
//! The model compares in 64-bit floating point: `x <= t`. A PLC with `REAL` inputs holds
//! `f32(x)` and compares it with the literal as a 32-bit number. For every value `x` seen in
//! the training and held-out rows, [`threshold_literal`] picks the 32-bit literal `L` with
//! `f32(x) <= L` exactly when `x <= t`: since rounding to `f32` is monotone, `L = f32(t)` works
//! unless a value above `t` rounds to `f32(t)` too; then the next `f32` below works unless a
//! value at or below `t` also rounds to `f32(t)` — two seen values on both sides of `t` that
//! are the same `REAL`, which no literal can separate (a [`Conflict`]: use `LREAL`).
//!
//! Literals are typed (`REAL#41.65`, `LREAL#41.650000000000006`) so a compiler cannot compare
//! them in another precision, always have a decimal point, and are written with the shortest
//! digits that read back as the same number whether a compiler parses them straight to `f32`
//! or first to `f64`.

use serde::{Deserialize, Serialize};

/// The floating-point type of the inputs and real outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RealType {
    /// 32-bit `REAL`: what most PLC I/O delivers.
    #[default]
    Real,
    /// 64-bit `LREAL`: the model's own precision.
    Lreal,
}

impl RealType {
    /// `REAL` or `LREAL`.
    pub fn keyword(self) -> &'static str {
        match self {
            Self::Real => "REAL",
            Self::Lreal => "LREAL",
        }
    }
}

/// A threshold no `REAL` literal can place between the seen values.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    /// The model's threshold.
    pub threshold: f64,
    /// The largest seen value at or below it.
    pub below: f64,
    /// The smallest seen value above it.
    pub above: f64,
}

/// A literal and the number the PLC holds for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The text, e.g. `REAL#41.65`.
    pub text: String,
    /// The value the PLC compares with (an `f32` widened, for `REAL`).
    pub value: f64,
}

/// The literal for a test `x <= t` that takes the model's branch for every value in `observed`
/// (sorted ascending, no NaN).
///
/// # Errors
/// A [`Conflict`] when, in `REAL`, a seen value at or below `t` and one above it are the same
/// 32-bit number, or `t` is outside the `REAL` range while seen values are on both sides.
pub fn threshold_literal(t: f64, observed: &[f64], ty: RealType) -> Result<Literal, Conflict> {
    match ty {
        RealType::Lreal => Ok(Literal { text: format!("LREAL#{}", format_f64(t)), value: t }),
        RealType::Real => {
            let split = observed.partition_point(|&x| x <= t);
            let below = split.checked_sub(1).and_then(|i| observed.get(i)).copied();
            let above = observed.get(split).copied();
            #[allow(clippy::cast_possible_truncation)]
            let (a, b) = (below.map(|x| x as f32), above.map(|x| x as f32));
            #[allow(clippy::cast_possible_truncation)]
            let mut lit = t as f32;
            if !lit.is_finite() {
                // Beyond the REAL range: clamp to the largest finite REAL on the same side.
                lit = if t > 0.0 { f32::MAX } else { f32::MIN };
            }
            let conflict =
                || Conflict { threshold: t, below: below.unwrap_or(f64::NAN), above: above.unwrap_or(f64::NAN) };
            // Need a <= lit < b.
            if b.is_some_and(|b| lit >= b) {
                lit = b.map_or(lit, next_down);
            }
            if a.is_some_and(|a| lit < a) || b.is_some_and(|b| lit >= b) || !lit.is_finite() {
                return Err(conflict());
            }
            Ok(Literal { text: format!("REAL#{}", format_f32(lit)), value: f64::from(lit) })
        }
    }
}

/// A value written in the given type (outputs, range limits): the nearest `REAL`, or the value.
pub fn value_literal(v: f64, ty: RealType) -> Literal {
    match ty {
        RealType::Lreal => Literal { text: format!("LREAL#{}", format_f64(v)), value: v },
        RealType::Real => {
            #[allow(clippy::cast_possible_truncation)]
            let f = (v as f32).clamp(f32::MIN, f32::MAX);
            Literal { text: format!("REAL#{}", format_f32(f)), value: f64::from(f) }
        }
    }
}

/// The next `f32` towards minus infinity.
fn next_down(x: f32) -> f32 {
    if x.is_nan() || x == f32::NEG_INFINITY {
        return x;
    }
    if x == 0.0 {
        return -f32::from_bits(1);
    }
    let bits = x.to_bits();
    f32::from_bits(if x > 0.0 { bits - 1 } else { bits + 1 })
}

/// An `f32` in IEC 61131-3 real-literal syntax with the shortest digits that read back as the
/// same `f32`, parsed directly or through `f64`.
pub fn format_f32(v: f32) -> String {
    let short = iec_real(&format!("{v:e}"));
    let reads_back = |s: &str| {
        let plain = s.replace('E', "e");
        #[allow(clippy::cast_possible_truncation)]
        let via_f64 = plain.parse::<f64>().map(|d| d as f32);
        plain.parse::<f32>() == Ok(v) && via_f64 == Ok(v)
    };
    if reads_back(&short) {
        short
    } else {
        // The exact value of the f32 as a decimal always reads back, by either route.
        iec_real(&format!("{:e}", f64::from(v)))
    }
}

/// An `f64` in IEC 61131-3 real-literal syntax with the shortest digits that read back as it
/// (an infinity is written as the largest finite value of its sign, NaN as 0.0: ST has no
/// literal for either).
pub fn format_f64(v: f64) -> String {
    let v = if v.is_nan() { 0.0 } else { v.clamp(f64::MIN, f64::MAX) };
    iec_real(&format!("{v:e}"))
}

/// Rewrites Rust's `{:e}` form (`1.5515e3`, `-4e-7`) as an IEC real literal with digits on both
/// sides of the point: plain for moderate exponents (`1551.5`), else `4.0E-7`.
fn iec_real(e_form: &str) -> String {
    let (mantissa, exp) = e_form.split_once('e').unwrap_or((e_form, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if digits.bytes().all(|d| d == b'0') {
        return "0.0".to_owned();
    }
    if !(-6..=15).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() { "0" } else { rest };
        return format!("{sign}{first}.{rest}E{exp}");
    }
    // Point after `exp + 1` digits.
    let point = exp + 1;
    let (int, frac) = if point <= 0 {
        let zeros = usize::try_from(-point).unwrap_or(0);
        ("0".to_owned(), format!("{}{digits}", "0".repeat(zeros)))
    } else {
        let p = usize::try_from(point).unwrap_or(0);
        if p >= digits.len() {
            (format!("{digits}{}", "0".repeat(p - digits.len())), String::new())
        } else {
            (digits[..p].to_owned(), digits[p..].to_owned())
        }
    };
    let frac = if frac.is_empty() { "0".to_owned() } else { frac };
    format!("{sign}{int}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_have_a_point_and_read_back() {
        assert_eq!(format_f64(1551.5), "1551.5");
        assert_eq!(format_f64(3.0), "3.0");
        assert_eq!(format_f64(-0.25), "-0.25");
        assert_eq!(format_f64(1e20), "1.0E20");
        assert_eq!(format_f64(-4.5e-9), "-4.5E-9");
        assert_eq!(format_f64(0.000_123), "0.000123");
        assert_eq!(format_f64(0.0), "0.0");
        assert_eq!(format_f64(f64::INFINITY), "1.7976931348623157E308");
        assert_eq!(format_f64(41.650_000_000_000_006), "41.650000000000006");
        assert_eq!(format_f32(41.65), "41.65");
        assert_eq!(format_f32(298.15), "298.15");
        for v in [0.1f32, 1e-30, f32::MAX, -f32::from_bits(5), 16_777_215.0] {
            let s = format_f32(v);
            assert_eq!(s.replace('E', "e").parse::<f32>(), Ok(v), "{s}");
        }
    }

    #[test]
    fn real_thresholds_separate_every_seen_value() {
        // 0.1 + 2^-30 and 0.1 are distinct doubles but the same REAL.
        let close = 0.1 + 2f64.powi(-30);
        let seen = [0.05, 0.1, close, 0.2];
        // Threshold between them: no REAL can separate them.
        let e = threshold_literal(f64::midpoint(0.1, close), &seen, RealType::Real).expect_err("conflict");
        assert_eq!((e.below, e.above), (0.1, close));
        // LREAL can.
        assert!(threshold_literal(f64::midpoint(0.1, close), &seen, RealType::Lreal).is_ok());
        // A threshold whose nearest REAL lies above a seen value above it moves down.
        let t = 0.15;
        let seen = [0.1, 0.15 + 1e-11, 0.3];
        let l = threshold_literal(t, &seen[..1], RealType::Real).expect("ok");
        assert_eq!(l.text, "REAL#0.15");
        let l = threshold_literal(t, &seen, RealType::Real).expect("ok");
        assert_ne!(l.text, "REAL#0.15");
        for &x in &seen {
            #[allow(clippy::cast_possible_truncation)]
            let plc = f64::from(x as f32) <= l.value;
            assert_eq!(plc, x <= t, "{x} against {}", l.text);
        }
    }
}
