//! Rows of the fitted space with their segment labels, as every measure reads them.

/// `n` rows of `d` values (row-major) and each row's segment, `0..k`.
#[derive(Debug, Clone, Copy)]
pub struct Points<'a> {
    x: &'a [f64],
    d: usize,
    labels: &'a [u32],
    k: usize,
}

impl<'a> Points<'a> {
    /// The rows `x` (`labels.len()` rows of `d` values) labelled `labels`; k is the largest
    /// label plus one (a label with no rows is an empty segment).
    pub fn new(x: &'a [f64], d: usize, labels: &'a [u32]) -> Self {
        assert_eq!(x.len(), labels.len() * d, "one label per row of d values");
        let k = labels.iter().max().map_or(0, |&m| m as usize + 1);
        Self { x, d, labels, k }
    }

    /// Number of rows.
    pub fn n(&self) -> usize {
        self.labels.len()
    }

    /// Values per row.
    pub fn d(&self) -> usize {
        self.d
    }

    /// Number of segments (largest label plus one).
    pub fn k(&self) -> usize {
        self.k
    }

    /// Row `i`.
    pub fn row(&self, i: usize) -> &'a [f64] {
        &self.x[i * self.d..(i + 1) * self.d]
    }

    /// Row `i`'s segment.
    pub fn label(&self, i: usize) -> usize {
        self.labels[i] as usize
    }

    /// Rows per segment.
    pub fn sizes(&self) -> Vec<usize> {
        let mut sizes = vec![0; self.k];
        for &l in self.labels {
            sizes[l as usize] += 1;
        }
        sizes
    }

    /// Each segment's mean (its centroid as the labels define it), `d` values per segment;
    /// an empty segment's mean is all zeros.
    pub fn means(&self) -> Vec<f64> {
        let d = self.d;
        let mut sums = vec![0.0; self.k * d];
        for i in 0..self.n() {
            let c = self.label(i);
            for (s, v) in sums[c * d..(c + 1) * d].iter_mut().zip(self.row(i)) {
                *s += v;
            }
        }
        for (c, size) in self.sizes().into_iter().enumerate() {
            if size > 0 {
                for s in &mut sums[c * d..(c + 1) * d] {
                    *s /= size as f64;
                }
            }
        }
        sums
    }
}

/// Euclidean distance.
pub(crate) fn distance(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}
