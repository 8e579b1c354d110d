//! Units read from column names: `Torque [Nm]`, `Age (day)`, `Drehzahl (1/min)`, `torque_nm`.

/// Unit suffixes recognised after an underscore (`air_temp_k`), lower-cased, with the way the
/// unit is written. Longest first, so `mm_s` wins over `s`.
const SUFFIX_UNITS: &[(&str, &str)] = &[
    ("kvarh", "kVarh"),
    ("mm_s", "mm/s"),
    ("m_s", "m/s"),
    ("kwh", "kWh"),
    ("mwh", "MWh"),
    ("rpm", "rpm"),
    ("lpm", "L/min"),
    ("pct", "%"),
    ("bar", "bar"),
    ("mbar", "mbar"),
    ("kpa", "kPa"),
    ("mpa", "MPa"),
    ("min", "min"),
    ("sec", "s"),
    ("degc", "°C"),
    ("nm", "Nm"),
    ("um", "µm"),
    ("mm", "mm"),
    ("kw", "kW"),
    ("mw", "MW"),
    ("hz", "Hz"),
    ("kg", "kg"),
    ("k", "K"),
];

/// Splits a column name into its base and unit: `Torque [Nm]` → (`Torque`, `Nm`).
///
/// Square brackets at the end always hold a unit. Parentheses at the end hold one when they are
/// short and look like a unit (`(1/min)`, `(day)`, `(MPa, megapascals)` → `MPa`), not a remark
/// such as `(component 1)`. A known suffix after an underscore (`torque_nm`) is a unit too.
pub fn split_unit(name: &str) -> (&str, Option<&str>) {
    let trimmed = name.trim_end();
    if let Some(found) = bracketed(trimmed, '[', ']') {
        return found;
    }
    if let Some((base, inner)) = bracketed(trimmed, '(', ')')
        && let Some(unit) = inner
    {
        let unit = unit.split(',').next().unwrap_or(unit).trim();
        let looks_like_unit = !unit.is_empty()
            && unit.chars().count() <= 30
            && !unit.to_lowercase().contains("component")
            && unit.split_whitespace().count() <= 6;
        if looks_like_unit {
            return (base, Some(unit));
        }
    }
    let lower = trimmed.to_ascii_lowercase();
    for (suffix, unit) in SUFFIX_UNITS {
        if lower.len() > suffix.len() + 1
            && lower.ends_with(suffix)
            && lower.as_bytes().get(lower.len() - suffix.len() - 1) == Some(&b'_')
            && trimmed.is_char_boundary(trimmed.len() - suffix.len() - 1)
        {
            return (&trimmed[..trimmed.len() - suffix.len() - 1], Some(unit));
        }
    }
    (trimmed, None)
}

/// `base [inner]` → (`base`, `inner`) when the name ends with the closing bracket.
fn bracketed(name: &str, open: char, close: char) -> Option<(&str, Option<&str>)> {
    let body = name.strip_suffix(close)?;
    let start = body.rfind(open)?;
    let inner = body[start + open.len_utf8()..].trim();
    let base = body[..start].trim_end();
    if base.is_empty() {
        return None;
    }
    Some((base, (!inner.is_empty()).then_some(inner)))
}

#[cfg(test)]
mod tests {
    use super::split_unit;

    #[test]
    fn units_from_real_plant_column_names() {
        assert_eq!(split_unit("Torque [Nm]"), ("Torque", Some("Nm")));
        assert_eq!(split_unit("Air temperature [K]"), ("Air temperature", Some("K")));
        assert_eq!(split_unit("Drehzahl (1/min)"), ("Drehzahl", Some("1/min")));
        assert_eq!(split_unit("Age (day)"), ("Age", Some("day")));
        assert_eq!(
            split_unit("Concrete compressive strength(MPa, megapascals) "),
            ("Concrete compressive strength", Some("MPa"))
        );
        assert_eq!(
            split_unit("Cement (component 1)(kg in a m^3 mixture)"),
            ("Cement (component 1)", Some("kg in a m^3 mixture"))
        );
        assert_eq!(split_unit("Blast Furnace Slag (component 2)"), ("Blast Furnace Slag (component 2)", None));
        assert_eq!(split_unit("torque_nm"), ("torque", Some("Nm")));
        assert_eq!(split_unit("vibration_mm_s"), ("vibration", Some("mm/s")));
        assert_eq!(split_unit("Usage_kWh"), ("Usage", Some("kWh")));
        assert_eq!(split_unit("UDI"), ("UDI", None));
        assert_eq!(split_unit("温度 [°C]"), ("温度", Some("°C")));
        assert_eq!(split_unit("k"), ("k", None));
    }
}
