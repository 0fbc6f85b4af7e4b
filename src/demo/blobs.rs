//! Points in five clusters drawn with a 64-bit LCG, the same bit for bit in Rust and in Python
//! (tests/fixtures/make_quality_reference.py, benchmarks/peers.py), so that segql and
//! scikit-learn can be measured on identical rows without a data file.

/// `rows` points in the plane, row-major, and their cluster (0..5): uniform noise of width 4
/// around (0, 0), (6, 0), (0, 6), (6, 6) and (3, 3), row i in cluster i mod 5.
pub fn lcg_blobs(rows: usize) -> (Vec<f64>, Vec<u32>) {
    let centres = [(0.0, 0.0), (6.0, 0.0), (0.0, 6.0), (6.0, 6.0), (3.0, 3.0)];
    let mut state: u64 = 20261202;
    let mut uniform = || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut x = Vec::with_capacity(rows * 2);
    let mut labels = Vec::with_capacity(rows);
    for i in 0..rows {
        let (cx, cy): (f64, f64) = centres[i % 5];
        x.push(cx + (uniform() - 0.5) * 4.0);
        x.push(cy + (uniform() - 0.5) * 4.0);
        labels.push((i % 5) as u32);
    }
    (x, labels)
}
