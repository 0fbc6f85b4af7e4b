//! The silhouette (Rousseeuw 1987), exactly as scikit-learn's `silhouette_samples` defines it:
//! for row i, a = its mean distance to the other rows of its segment, b = the smallest mean
//! distance to the rows of another segment, s = (b − a) / max(a, b); 0 for a row alone in its
//! segment. The score is the mean over rows.
//!
//! All pairs are measured, without an n × n matrix: rows are grouped by segment, so the
//! distances from one row to a segment are one contiguous run summed in a tight loop, and the
//! rows are shared among threads. Sampling, for large inputs, is the caller's choice
//! ([`Points`] over the sampled rows), as scikit-learn's `sample_size`.

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use super::points::{Points, distance};

/// The rows a sampled silhouette is measured on: `size` of the `n` rows drawn uniformly
/// without replacement with `seed`, increasing; `None` when `n <= size` (all rows, exact).
pub fn silhouette_sample_rows(n: usize, size: usize, seed: u64) -> Option<Vec<usize>> {
    if n <= size {
        return None;
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5111_0e77e);
    let mut rows = sample(&mut rng, n, size).into_vec();
    rows.sort_unstable();
    Some(rows)
}

/// The rows `rows` of `x` (`d` values each), row-major.
pub fn take_rows(x: &[f64], d: usize, rows: &[usize]) -> Vec<f64> {
    rows.iter()
        .flat_map(|&i| x[i * d..(i + 1) * d].iter().copied())
        .collect()
}

/// The silhouette of every row (in the rows' order); `None` unless there are at least two
/// non-empty segments and fewer segments than rows (scikit-learn's condition).
pub fn silhouette_samples(points: &Points<'_>, threads: usize) -> Option<Vec<f64>> {
    let sizes = points.sizes();
    let present = sizes.iter().filter(|&&s| s > 0).count();
    if present < 2 || present >= points.n() {
        return None;
    }
    let grouped = Grouped::new(points, &sizes);
    let n = points.n();
    let threads = threads.clamp(1, n);
    let chunk = n.div_ceil(threads);
    let mut out = vec![0.0; n];
    std::thread::scope(|scope| {
        for (t, part) in out.chunks_mut(chunk).enumerate() {
            let grouped = &grouped;
            scope.spawn(move || {
                let mut sums = vec![0.0; grouped.ranges.len()];
                for (offset, s) in part.iter_mut().enumerate() {
                    *s = grouped.silhouette_of(points, t * chunk + offset, &mut sums);
                }
            });
        }
    });
    Some(out)
}

/// The mean silhouette over all rows (see [`silhouette_samples`]).
pub fn silhouette(points: &Points<'_>, threads: usize) -> Option<f64> {
    let samples = silhouette_samples(points, threads)?;
    Some(samples.iter().sum::<f64>() / samples.len() as f64)
}

/// The rows copied in segment order, with each segment's range.
struct Grouped {
    x: Vec<f64>,
    d: usize,
    ranges: Vec<std::ops::Range<usize>>,
}

impl Grouped {
    fn new(points: &Points<'_>, sizes: &[usize]) -> Self {
        let d = points.d();
        let mut starts = Vec::with_capacity(sizes.len());
        let mut start = 0;
        for &size in sizes {
            starts.push(start);
            start += size;
        }
        let ranges = starts
            .iter()
            .zip(sizes)
            .map(|(&s, &size)| s..s + size)
            .collect();
        let mut next = starts;
        let mut x = vec![0.0; points.n() * d];
        for i in 0..points.n() {
            let slot = &mut next[points.label(i)];
            x[*slot * d..(*slot + 1) * d].copy_from_slice(points.row(i));
            *slot += 1;
        }
        Self { x, d, ranges }
    }

    /// Row `i`'s silhouette, using `sums` (one per segment) as scratch.
    fn silhouette_of(&self, points: &Points<'_>, i: usize, sums: &mut [f64]) -> f64 {
        let row = points.row(i);
        for (sum, range) in sums.iter_mut().zip(&self.ranges) {
            *sum = self.distance_sum(row, range.clone());
        }
        let own = points.label(i);
        let own_size = self.ranges[own].len();
        if own_size < 2 {
            return 0.0;
        }
        let a = sums[own] / (own_size - 1) as f64;
        let b = self
            .ranges
            .iter()
            .enumerate()
            .filter(|(c, r)| *c != own && !r.is_empty())
            .map(|(c, r)| sums[c] / r.len() as f64)
            .fold(f64::INFINITY, f64::min);
        let largest = a.max(b);
        if largest > 0.0 {
            (b - a) / largest
        } else {
            0.0
        }
    }

    /// The sum of the distances from `row` to the grouped rows in `range`, in four running
    /// sums so the loop pipelines.
    fn distance_sum(&self, row: &[f64], range: std::ops::Range<usize>) -> f64 {
        let d = self.d;
        let rows = self.x[range.start * d..range.end * d].chunks_exact(d);
        let mut lanes = [0.0f64; 4];
        for (j, other) in rows.enumerate() {
            lanes[j % 4] += distance(row, other);
        }
        (lanes[0] + lanes[1]) + (lanes[2] + lanes[3])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hand_computed_silhouette() {
        // 0, 1 | 5: row 0 has a = 1, b = 5 -> 0.8; row 1 has a = 1, b = 4 -> 0.75; row 2 is alone
        let x = [0.0, 1.0, 5.0];
        let points = Points::new(&x, 1, &[0, 0, 1]);
        let s = silhouette_samples(&points, 2).unwrap();
        assert_eq!(s, vec![0.8, 0.75, 0.0]);
        assert!((silhouette(&points, 1).unwrap() - 1.55 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn one_segment_or_one_row_per_segment_has_no_silhouette() {
        let x = [0.0, 1.0, 5.0];
        assert_eq!(silhouette(&Points::new(&x, 1, &[0, 0, 0]), 1), None);
        assert_eq!(silhouette(&Points::new(&x, 1, &[0, 1, 2]), 1), None);
    }

    #[test]
    fn threads_do_not_change_the_result() {
        let x: Vec<f64> = (0..600).map(|i| ((i * 7919) % 101) as f64).collect();
        let labels: Vec<u32> = (0..300).map(|i| (i % 3) as u32).collect();
        let points = Points::new(&x, 2, &labels);
        assert_eq!(
            silhouette_samples(&points, 1),
            silhouette_samples(&points, 3)
        );
    }
}
