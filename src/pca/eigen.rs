//! Eigenvalues and eigenvectors of a small symmetric matrix, by the cyclic Jacobi method: a
//! covariance matrix is d × d for d features (a few to a few dozen), where Jacobi is simple,
//! accurate to the last bits for every eigenvalue, and fast enough.

/// The eigenvalues of the symmetric `d × d` matrix `a` (row-major), descending, and their unit
/// eigenvectors (`vectors[i]` belongs to `values[i]`).
pub(crate) fn symmetric_eigen(a: &[f64], d: usize) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut m = a.to_vec();
    let mut v = identity(d);
    let scale: f64 = m.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..100 {
        let off: f64 = (0..d)
            .flat_map(|i| (0..d).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * d + j].powi(2))
            .sum::<f64>()
            .sqrt();
        if off <= f64::EPSILON * scale * 1e-3 || off == 0.0 {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                rotate(&mut m, &mut v, d, p, q);
            }
        }
    }
    let mut order: Vec<usize> = (0..d).collect();
    order.sort_by(|&i, &j| m[j * d + j].total_cmp(&m[i * d + i]));
    let values = order.iter().map(|&i| m[i * d + i]).collect();
    let vectors = order
        .iter()
        .map(|&i| (0..d).map(|r| v[r * d + i]).collect())
        .collect();
    (values, vectors)
}

fn identity(d: usize) -> Vec<f64> {
    let mut v = vec![0.0; d * d];
    for i in 0..d {
        v[i * d + i] = 1.0;
    }
    v
}

/// One Jacobi rotation that zeroes `m[p][q]` (Golub and Van Loan, *Matrix Computations*,
/// algorithm 8.5.2), accumulated into the eigenvector matrix `v`.
fn rotate(m: &mut [f64], v: &mut [f64], d: usize, p: usize, q: usize) {
    let apq = m[p * d + q];
    if apq == 0.0 {
        return;
    }
    let tau = (m[q * d + q] - m[p * d + p]) / (2.0 * apq);
    let t = tau.signum() / (tau.abs() + (1.0 + tau * tau).sqrt());
    let t = if tau == 0.0 { 1.0 } else { t };
    let c = 1.0 / (1.0 + t * t).sqrt();
    let s = t * c;
    for k in 0..d {
        let (mkp, mkq) = (m[k * d + p], m[k * d + q]);
        m[k * d + p] = c * mkp - s * mkq;
        m[k * d + q] = s * mkp + c * mkq;
    }
    for k in 0..d {
        let (mpk, mqk) = (m[p * d + k], m[q * d + k]);
        m[p * d + k] = c * mpk - s * mqk;
        m[q * d + k] = s * mpk + c * mqk;
    }
    for k in 0..d {
        let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
        v[k * d + p] = c * vkp - s * vkq;
        v[k * d + q] = s * vkp + c * vkq;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_two_by_two_by_hand() {
        // [[2, 1], [1, 2]]: eigenvalues 3 and 1, eigenvectors (1, 1)/√2 and (1, -1)/√2
        let (values, vectors) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        assert!((values[0] - 3.0).abs() < 1e-14 && (values[1] - 1.0).abs() < 1e-14);
        let h = std::f64::consts::FRAC_1_SQRT_2;
        assert!((vectors[0][0].abs() - h).abs() < 1e-14);
        assert!((vectors[0][0] - vectors[0][1]).abs() < 1e-14);
        assert!((vectors[1][0] + vectors[1][1]).abs() < 1e-14);
    }

    #[test]
    fn eigenpairs_satisfy_a_v_equals_lambda_v() {
        let d = 5;
        let a: Vec<f64> = (0..d * d)
            .map(|k| {
                let (i, j) = (k / d, k % d);
                1.0 / (1.0 + i as f64 + j as f64) + if i == j { 2.0 } else { 0.0 }
            })
            .collect();
        let (values, vectors) = symmetric_eigen(&a, d);
        for (lambda, v) in values.iter().zip(&vectors) {
            for i in 0..d {
                let av: f64 = (0..d).map(|j| a[i * d + j] * v[j]).sum();
                assert!(
                    (av - lambda * v[i]).abs() < 1e-12,
                    "{av} vs {}",
                    lambda * v[i]
                );
            }
        }
        assert!(values.windows(2).all(|w| w[0] >= w[1]));
    }
}
