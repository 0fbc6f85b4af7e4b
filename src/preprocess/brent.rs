//! One-dimensional minimisation for the likelihood searches of Box-Cox and Yeo-Johnson.

/// The minimum of `f` on `[lo, hi]` by Brent's method (R. P. Brent, *Algorithms for
/// Minimization without Derivatives*, 1973, ch. 5): parabolic interpolation through the three
/// best points, with a golden-section step whenever the parabola would not shrink the bracket
/// fast enough. A smooth function needs a dozen or so evaluations where golden-section search
/// alone needs about fifty for the same 1e-9 width.
pub(crate) fn minimise(mut f: impl FnMut(f64) -> f64, mut lo: f64, mut hi: f64) -> f64 {
    let golden = (3.0 - 5.0_f64.sqrt()) / 2.0;
    let relative = f64::EPSILON.sqrt();
    let absolute = 1e-10;
    let mut x = lo + golden * (hi - lo);
    let (mut w, mut v) = (x, x);
    let mut fx = f(x);
    let (mut fw, mut fv) = (fx, fx);
    // the step before last (`e`) and the last step (`d`)
    let (mut e, mut d) = (0.0_f64, 0.0_f64);
    for _ in 0..200 {
        let middle = (lo + hi) / 2.0;
        let tol = relative * x.abs() + absolute;
        if (x - middle).abs() <= 2.0 * tol - (hi - lo) / 2.0 {
            break;
        }
        let mut parabolic = false;
        if e.abs() > tol {
            let r = (x - w) * (fx - fv);
            let mut q = (x - v) * (fx - fw);
            let mut p = (x - v) * q - (x - w) * r;
            q = 2.0 * (q - r);
            if q > 0.0 {
                p = -p;
            } else {
                q = -q;
            }
            // accept the parabola's minimum if it lies inside the bracket and the step is
            // less than half the step before last
            if p.abs() < (0.5 * q * e).abs() && p > q * (lo - x) && p < q * (hi - x) {
                e = d;
                d = p / q;
                let u = x + d;
                if u - lo < 2.0 * tol || hi - u < 2.0 * tol {
                    d = if x < middle { tol } else { -tol };
                }
                parabolic = true;
            }
        }
        if !parabolic {
            e = if x < middle { hi - x } else { lo - x };
            d = golden * e;
        }
        let u = if d.abs() >= tol {
            x + d
        } else if d > 0.0 {
            x + tol
        } else {
            x - tol
        };
        let fu = f(u);
        if fu <= fx {
            if u < x {
                hi = x;
            } else {
                lo = x;
            }
            (v, fv, w, fw, x, fx) = (w, fw, x, fx, u, fu);
        } else {
            if u < x {
                lo = u;
            } else {
                hi = u;
            }
            if fu <= fw || w == x {
                (v, fv, w, fw) = (w, fw, u, fu);
            } else if fu <= fv || v == x || v == w {
                (v, fv) = (u, fu);
            }
        }
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brents_method_finds_minima_to_the_tolerance_in_few_evaluations() {
        let x = minimise(|x| (x - 1.234_567).powi(2) + 3.0, -5.0, 5.0);
        assert!((x - 1.234_567).abs() < 1e-6, "{x}");
        // not smooth at the minimum: golden-section steps still get there
        let x = minimise(|x| (x + 2.5).abs(), -5.0, 5.0);
        assert!((x + 2.5).abs() < 1e-6, "{x}");
        // a minimum on the bracket's edge
        let x = minimise(|x| x, -5.0, 5.0);
        assert!(x < -5.0 + 1e-6, "{x}");
        let mut evaluations = 0;
        let x = minimise(
            |x| {
                evaluations += 1;
                (x - 0.3).cosh()
            },
            -5.0,
            5.0,
        );
        assert!((x - 0.3).abs() < 1e-6, "{x}");
        assert!(evaluations < 30, "{evaluations} evaluations");
    }
}
