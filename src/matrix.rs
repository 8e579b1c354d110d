//! A plain row-major matrix of `f64`: the form models, explanations and plans pass rows in.

use serde::{Deserialize, Serialize};

/// Rows × columns of numbers, row-major. `NaN` marks a missing value.
///
/// Read from a file (a project, a recovery file) it is checked like [`Matrix::from_vec`], so a
/// damaged file gives an error instead of a matrix whose rows lie outside its data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "MatrixParts")]
pub struct Matrix {
    data: Vec<f64>,
    n_rows: usize,
    n_cols: usize,
}

/// The fields of a [`Matrix`] as stored, before their shape is checked.
#[derive(Deserialize)]
struct MatrixParts {
    data: Vec<f64>,
    n_rows: usize,
    n_cols: usize,
}

impl TryFrom<MatrixParts> for Matrix {
    type Error = crate::Error;

    fn try_from(p: MatrixParts) -> crate::Result<Self> {
        Self::from_vec(p.data, p.n_rows, p.n_cols)
    }
}

impl Matrix {
    /// A matrix of zeros.
    pub fn zeros(n_rows: usize, n_cols: usize) -> Self {
        Self { data: vec![0.0; n_rows * n_cols], n_rows, n_cols }
    }

    /// Wraps row-major data.
    ///
    /// # Errors
    /// When `data.len() != n_rows * n_cols`.
    pub fn from_vec(data: Vec<f64>, n_rows: usize, n_cols: usize) -> crate::Result<Self> {
        // A shape read from a file may be anything; its product must not overflow.
        if n_rows.checked_mul(n_cols) != Some(data.len()) {
            return Err(crate::Error::invalid(format!(
                "a {n_rows}×{n_cols} matrix needs {} values, not {}",
                n_rows.checked_mul(n_cols).map_or_else(|| "more than 2^64".into(), |n| n.to_string()),
                data.len()
            )));
        }
        Ok(Self { data, n_rows, n_cols })
    }

    /// Builds a matrix from rows of equal length (`n_cols` given for the empty case).
    ///
    /// # Errors
    /// When a row has another length.
    pub fn from_rows<R: AsRef<[f64]>>(rows: &[R], n_cols: usize) -> crate::Result<Self> {
        let mut data = Vec::with_capacity(rows.len() * n_cols);
        for (i, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            if r.len() != n_cols {
                return Err(crate::Error::invalid(format!("row {i} has {} values, expected {n_cols}", r.len())));
            }
            data.extend_from_slice(r);
        }
        Ok(Self { data, n_rows: rows.len(), n_cols })
    }

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Row `i`.
    ///
    /// # Panics
    /// When `i` is out of range (an internal invariant: callers iterate `0..n_rows`).
    #[inline]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// Row `i`, mutable.
    #[inline]
    pub fn row_mut(&mut self, i: usize) -> &mut [f64] {
        &mut self.data[i * self.n_cols..(i + 1) * self.n_cols]
    }

    /// The value at (`i`, `j`).
    #[inline]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.n_cols + j]
    }

    /// Sets the value at (`i`, `j`).
    #[inline]
    pub fn set(&mut self, i: usize, j: usize, v: f64) {
        self.data[i * self.n_cols + j] = v;
    }

    /// Iterates over the rows.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> + '_ {
        // `chunks_exact(0)` panics; a matrix without columns has empty rows.
        let width = self.n_cols.max(1);
        let n = self.n_rows;
        self.data.chunks_exact(width).take(n).chain(std::iter::repeat_n(&[][..], if self.n_cols == 0 { n } else { 0 }))
    }

    /// Column `j` copied out.
    pub fn column(&self, j: usize) -> Vec<f64> {
        (0..self.n_rows).map(|i| self.get(i, j)).collect()
    }

    /// The rows at `indices`, in that order.
    pub fn select_rows(&self, indices: &[usize]) -> Self {
        let mut data = Vec::with_capacity(indices.len() * self.n_cols);
        for &i in indices {
            data.extend_from_slice(self.row(i));
        }
        Self { data, n_rows: indices.len(), n_cols: self.n_cols }
    }

    /// The underlying row-major values.
    pub fn as_slice(&self) -> &[f64] {
        &self.data
    }

    /// Appends a row.
    ///
    /// # Errors
    /// When the row has the wrong length.
    pub fn push_row(&mut self, row: &[f64]) -> crate::Result<()> {
        if self.n_rows == 0 && self.n_cols == 0 {
            self.n_cols = row.len();
        }
        if row.len() != self.n_cols {
            return Err(crate::Error::invalid(format!("row has {} values, expected {}", row.len(), self.n_cols)));
        }
        self.data.extend_from_slice(row);
        self.n_rows += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_columns_and_selection() {
        let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], 2).expect("valid");
        assert_eq!(m.row(1), [3.0, 4.0]);
        assert_eq!(m.column(1), [2.0, 4.0, 6.0]);
        assert_eq!(m.select_rows(&[2, 0]).as_slice(), [5.0, 6.0, 1.0, 2.0]);
        assert_eq!(m.rows().count(), 3);
        assert!(Matrix::from_vec(vec![1.0], 2, 2).is_err());
        let empty_cols = Matrix::zeros(3, 0);
        assert_eq!(empty_cols.rows().count(), 3);
    }

    #[test]
    fn a_stored_matrix_is_checked_when_read() {
        let m = Matrix::from_rows(&[[1.0, 2.0], [3.0, 4.0]], 2).expect("valid");
        let back: Matrix = serde_json::from_str(&serde_json::to_string(&m).expect("json")).expect("reads");
        assert_eq!(back, m);
        for bad in [
            r#"{"data":[1.0,2.0,3.0],"n_rows":2,"n_cols":2}"#,
            r#"{"data":[],"n_rows":4294967296,"n_cols":4294967296}"#,
        ] {
            let e = serde_json::from_str::<Matrix>(bad).expect_err("a shape that does not fit its data");
            assert!(e.to_string().contains("matrix needs"), "{e}");
        }
    }
}
