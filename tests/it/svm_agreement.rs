//! `model::smo` against libsvm and liblinear (through scikit-learn) on real data: the fixtures of
//! `tests/fixtures/svm/` (made by `make_reference.py` there; see its README).
//!
//! Both kernel solvers stop when the maximal violating pair's gap `m(α) − M(α)` is at most `tol`,
//! so neither solution is the exact optimum, and on degenerate problems (a linear kernel on few
//! features, duplicated rows) the optimal α is not even unique. What is checked, and why:
//!
//! - **Objective**, rigorously. For a solution with decision values `f`, the duality gap
//!   `Σ_i α_i (y_i f_i − 1) + C ξ_i` (C-SVC; `Σ_i β_i (f_i − z_i) + ε|β_i| + C (|z_i − f_i| − ε)₊`
//!   for ε-SVR) bounds its distance to the optimal objective, so the two objectives differ by at
//!   most the larger of the two gaps.
//! - **Decision values on rows free in both solutions.** The stopping rule puts `−y_t∇f_t` of every
//!   free variable in `[M(α), m(α)]`, an interval of width ≤ `tol` that also holds the bias, so
//!   each solver has `|y_t f(x_t) − 1| ≤ tol` there (`||z_t − f(x_t)| − ε| ≤ tol` for SVR), and the
//!   two differ by at most `2·tol` (plus the rounding of libsvm's and our `f32` kernel cache).
//! - **Decision values everywhere else**, with the bound `2·tol·(1 + S(x))`, where
//!   `S(x) = Σ_k |coef_k K(x_k, x)|` is the magnitude of the sum that makes up `f(x)`: a solution
//!   that meets the stopping rule has coefficients within a few `tol` of the optimum's, each
//!   weighted by its kernel value. This is a measured scale, not a theorem: on these fixtures
//!   the largest `|Δf| / (tol · (1 + S(x)))` is 0.5, a fourth of the bound.
//! - **Predictions** are equal except on rows whose libsvm decision is within that bound of 0.
//! - **Support vectors**: a row may be a support vector in one solution only if it lies on the
//!   margin (within the bound) in both, where α can take any value in `[0, C]` at the optimum.
//!   Such rows are printed.
//!
//! The linear-SVM fixtures compare [`fit_linear_svc`] with liblinear's dual coordinate descent
//! (`LinearSVC(dual=True)`), whose problem is strongly convex (bias regularised), with the same
//! `2·tol·(1 + S(x))` bound, `S(x) = Σ_k |w_k x_k| + |b|`.

use std::path::Path;

use glassbox::model::smo::{
    Kernel, LinearLoss, LinearSvcParams, Rows, SolverOptions, StopReason, SvcParams, SvrParams, fit_linear_svc,
    fit_svc, fit_svr,
};
use serde_json::Value;

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn numbers(v: &Value) -> Vec<f64> {
    v.as_array().expect("an array").iter().map(|x| x.as_f64().expect("a number")).collect()
}

fn number(case: &Value, key: &str) -> f64 {
    case[key].as_f64().unwrap_or_else(|| panic!("no number {key}"))
}

fn matrix(v: &Value) -> Vec<Vec<f64>> {
    v.as_array().expect("rows").iter().map(numbers).collect()
}

/// The case files of one kind, in name order.
fn cases(linear: bool) -> Vec<(Value, Value)> {
    let dir = crate::fixture("svm");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/svm")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("case_")))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let case = read_json(p);
            let data = read_json(&dir.join(case["data"].as_str().expect("data file")));
            (case, data)
        })
        .filter(|(case, _)| (case["task"] == "linear_classification") == linear)
        .collect()
}

/// One comparison's findings; `failures` empty when the solver agrees.
#[derive(Default)]
struct Findings {
    failures: Vec<String>,
    worst_ratio: f64,
}

impl Findings {
    fn fail(&mut self, name: &str, what: &str) {
        if self.failures.len() < 20 {
            self.failures.push(format!("{name}: {what}"));
        }
    }
}

#[test]
fn smo_agrees_with_libsvm_on_every_fixture() {
    let cases = cases(false);
    assert!(cases.len() >= 10, "expected the SVC/SVR fixtures, found {}", cases.len());
    let mut findings = Findings::default();
    for (case, data) in &cases {
        check_kernel_case(case, data, &mut findings);
    }
    println!("largest |Δf| / (tol·(1 + S(x))) over all kernel fixtures: {:.3}", findings.worst_ratio);
    assert!(findings.failures.is_empty(), "disagreements with libsvm:\n{}", findings.failures.join("\n"));
}

fn check_kernel_case(case: &Value, data: &Value, findings: &mut Findings) {
    let name = case["name"].as_str().expect("name");
    let classification = case["task"] == "classification";
    let x_train = matrix(&data["x_train"]);
    let x_eval = matrix(&data["x_eval"]);
    let y_train = numbers(&data["y_train"]);
    let (n, d) = (x_train.len(), x_train[0].len());
    let flat = x_train.concat();
    let rows = Rows::new(&flat, n, d).expect("finite rows");
    let (tol, c, gamma, coef0, epsilon) =
        (number(case, "tol"), number(case, "c"), number(case, "gamma"), number(case, "coef0"), number(case, "epsilon"));
    let degree = u32::try_from(case["degree"].as_u64().expect("degree")).expect("small degree");
    let kernel = match case["kernel"].as_str().expect("kernel") {
        "rbf" => Kernel::Rbf { gamma },
        "linear" => Kernel::Linear,
        "poly" => Kernel::Poly { gamma, coef0, degree },
        other => panic!("{name}: no agreement is expected for kernel {other}"),
    };
    let options = SolverOptions { tol, ..SolverOptions::default() };
    let solution = if classification {
        let positive: Vec<bool> = y_train.iter().map(|&v| v == 1.0).collect();
        fit_svc(rows, &positive, &SvcParams::new(kernel, c), &options, &mut |_| true).expect("fits")
    } else {
        fit_svr(rows, &y_train, &SvrParams { kernel, c, epsilon }, &options, &mut |_| true).expect("fits")
    };
    if solution.stop != StopReason::Converged {
        findings.fail(name, &format!("stopped by {:?}", solution.stop));
    }

    let their_support: Vec<usize> = case["support"]
        .as_array()
        .expect("support")
        .iter()
        .map(|v| usize::try_from(v.as_u64().expect("index")).expect("index"))
        .collect();
    let their_coef = numbers(&case["dual_coef"]);
    let their_train = numbers(&case["decision_train"]);
    let their_eval = numbers(&case["decision_eval"]);
    let ours_train: Vec<f64> = x_train.iter().map(|x| solution.decision(&kernel, rows, x)).collect();
    let ours_eval: Vec<f64> = x_eval.iter().map(|x| solution.decision(&kernel, rows, x)).collect();
    let magnitude = |x: &[f64]| {
        their_support.iter().zip(&their_coef).map(|(&r, c)| (c * kernel.value(&x_train[r], x)).abs()).sum::<f64>()
    };
    let bound = |x: &[f64]| 2.0 * tol * (1.0 + magnitude(x));

    // Decision values and predictions on training and held-out rows.
    let mut train_bounds = Vec::with_capacity(n);
    for (set, xs, ours, theirs) in
        [("train", &x_train, &ours_train, &their_train), ("eval", &x_eval, &ours_eval, &their_eval)]
    {
        for (k, x) in xs.iter().enumerate() {
            let b = bound(x);
            if set == "train" {
                train_bounds.push(b);
            }
            let diff = (ours[k] - theirs[k]).abs();
            findings.worst_ratio = findings.worst_ratio.max(diff / (tol * (1.0 + magnitude(x))));
            if diff > b {
                findings.fail(
                    name,
                    &format!("{set} row {k}: decision {} vs libsvm {} (bound {b:.2e})", ours[k], theirs[k]),
                );
            }
            if classification && (ours[k] > 0.0) != (theirs[k] > 0.0) && theirs[k].abs() > b {
                findings.fail(name, &format!("{set} row {k}: prediction differs at decision {}", theirs[k]));
            }
        }
    }

    // The margin condition of each training row: 0 on the margin.
    let off_margin = |r: usize, f: f64| {
        if classification {
            let y = if y_train[r] == 1.0 { 1.0 } else { -1.0 };
            y * f - 1.0
        } else {
            (y_train[r] - f).abs() - epsilon
        }
    };
    let coef_of = |support: &[usize], coef: &[f64], r: usize| support.binary_search(&r).map_or(0.0, |k| coef[k]);
    let free = |a: f64| a != 0.0 && a.abs() < c * (1.0 - 1e-9);

    // Rows free in both solutions: within 2·tol (and a little for the f32 caches).
    for r in 0..n {
        let (ours_c, theirs_c) =
            (coef_of(&solution.support, &solution.dual_coef, r), coef_of(&their_support, &their_coef, r));
        if free(ours_c) && free(theirs_c) {
            let diff = (ours_train[r] - their_train[r]).abs();
            if diff > 2.0 * tol * 1.05 {
                findings.fail(name, &format!("free support vector {r}: decision differs by {diff:.2e} > 2·tol"));
            }
        }
    }

    // Support vectors: differences only on the margin.
    let mut differing = Vec::new();
    for r in 0..n {
        let (ours_c, theirs_c) =
            (coef_of(&solution.support, &solution.dual_coef, r), coef_of(&their_support, &their_coef, r));
        if (ours_c != 0.0) != (theirs_c != 0.0) {
            differing.push((r, ours_c, theirs_c));
            let b = train_bounds[r];
            if off_margin(r, ours_train[r]).abs() > b || off_margin(r, their_train[r]).abs() > b {
                findings.fail(
                    name,
                    &format!(
                        "row {r} is a support vector in one solution only (coef {ours_c} vs {theirs_c}) but not on the margin"
                    ),
                );
            }
        }
    }

    // Objectives, within the larger duality gap.
    let objective_and_gap = |support: &[usize], coef: &[f64], f: &[f64], bias: f64| {
        let half_ww = 0.5 * support.iter().zip(coef).map(|(&r, b)| b * (f[r] - bias)).sum::<f64>();
        let linear: f64 = if classification {
            -coef.iter().map(|b| b.abs()).sum::<f64>()
        } else {
            support.iter().zip(coef).map(|(&r, b)| epsilon * b.abs() - y_train[r] * b).sum()
        };
        let gap: f64 = (0..n)
            .map(|r| {
                let b = coef_of(support, coef, r);
                let v = off_margin(r, f[r]);
                if classification {
                    b.abs() * v + c * (-v).max(0.0)
                } else {
                    b * (f[r] - y_train[r]) + epsilon * b.abs() + c * v.max(0.0)
                }
            })
            .sum();
        (half_ww + linear, gap)
    };
    let (ours_obj, ours_gap) = objective_and_gap(&solution.support, &solution.dual_coef, &ours_train, solution.bias);
    let (their_obj, their_gap) =
        objective_and_gap(&their_support, &their_coef, &their_train, number(case, "intercept"));
    let slack = 1e-9 * (1.0 + their_obj.abs());
    if (ours_obj - their_obj).abs() > ours_gap.max(their_gap) + slack {
        findings.fail(
            name,
            &format!("objective {ours_obj} vs libsvm {their_obj}: further apart than the duality gaps {ours_gap:.3e}, {their_gap:.3e}"),
        );
    }
    if (solution.objective - ours_obj).abs() > 1e-5 * (1.0 + ours_obj.abs()) {
        findings.fail(name, &format!("reported objective {} but the coefficients give {ours_obj}", solution.objective));
    }

    println!(
        "{name}: {} support vectors (libsvm {}), {} iterations (libsvm {}), objective {ours_obj:.6} (libsvm {their_obj:.6}, gaps {ours_gap:.1e} / {their_gap:.1e}), support vectors in one solution only (row, ours, libsvm): {differing:?}",
        solution.support.len(),
        their_support.len(),
        solution.iterations,
        case["n_iter"],
    );
}

#[test]
fn linear_dual_coordinate_descent_agrees_with_liblinear() {
    let cases = cases(true);
    assert!(!cases.is_empty(), "expected the LinearSVC fixtures");
    let mut findings = Findings::default();
    for (case, data) in &cases {
        let name = case["name"].as_str().expect("name");
        let x_train = matrix(&data["x_train"]);
        let x_eval = matrix(&data["x_eval"]);
        let positive: Vec<bool> = numbers(&data["y_train"]).iter().map(|&v| v == 1.0).collect();
        let (n, d) = (x_train.len(), x_train[0].len());
        let flat = x_train.concat();
        let rows = Rows::new(&flat, n, d).expect("finite rows");
        let tol = number(case, "tol");
        let params = LinearSvcParams {
            c: number(case, "c"),
            loss: if case["loss"] == "hinge" { LinearLoss::Hinge } else { LinearLoss::SquaredHinge },
            bias_feature: Some(number(case, "intercept_scaling")),
            tol,
            max_epochs: 100_000,
            ..LinearSvcParams::default()
        };
        let solution = fit_linear_svc(rows, &positive, &params, &mut |_| true).expect("fits");
        if solution.stop != StopReason::Converged {
            findings.fail(name, &format!("stopped by {:?}", solution.stop));
        }
        let weights = numbers(&case["weights"]);
        let intercept = number(case, "intercept");
        for (set, xs, theirs) in
            [("train", &x_train, numbers(&case["decision_train"])), ("eval", &x_eval, numbers(&case["decision_eval"]))]
        {
            for (k, x) in xs.iter().enumerate() {
                let magnitude = weights.iter().zip(x).map(|(w, v)| (w * v).abs()).sum::<f64>() + intercept.abs();
                let bound = 2.0 * tol * (1.0 + magnitude);
                let ours = solution.decision(x);
                let diff = (ours - theirs[k]).abs();
                findings.worst_ratio = findings.worst_ratio.max(diff / (tol * (1.0 + magnitude)));
                if diff > bound {
                    findings.fail(
                        name,
                        &format!("{set} row {k}: decision {ours} vs liblinear {} (bound {bound:.2e})", theirs[k]),
                    );
                }
                if (ours > 0.0) != (theirs[k] > 0.0) && theirs[k].abs() > bound {
                    findings.fail(name, &format!("{set} row {k}: prediction differs at decision {}", theirs[k]));
                }
            }
        }
        println!(
            "{name}: {} epochs (liblinear {}), bias {} (liblinear {intercept})",
            solution.epochs, case["n_iter"], solution.bias
        );
    }
    println!("largest |Δf| / (tol·(1 + S(x))) over the linear fixtures: {:.3}", findings.worst_ratio);
    assert!(findings.failures.is_empty(), "disagreements with liblinear:\n{}", findings.failures.join("\n"));
}
