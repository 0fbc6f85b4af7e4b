//! The training matrix as the k-means loops see it.
//!
//! Rows are `d` contiguous `f64` values. For the common small widths `d` is a compile-time
//! constant ([`Fixed`]), so every distance loop is unrolled and free of bounds checks and
//! divisions; wider data goes through the same code with a run-time width ([`Dynamic`]). Both
//! add the coordinates in the same order, so they give bit-identical distances.
//!
//! Work is split into fixed chunks of [`CHUNK`] rows whose partial results are combined in
//! chunk order, so a result never depends on the number of threads: threads only decide who
//! computes a chunk, never the order of additions.

use std::ops::Range;

/// Rows per unit of work.
pub(super) const CHUNK: usize = 4096;

/// The number of features per row, known at compile time or not.
pub(super) trait Width: Copy + Send + Sync {
    /// The number of features.
    fn get(self) -> usize;
}

/// A width known at compile time.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fixed<const D: usize>;

impl<const D: usize> Width for Fixed<D> {
    #[inline(always)]
    fn get(self) -> usize {
        D
    }
}

/// A width known at run time only.
#[derive(Debug, Clone, Copy)]
pub(super) struct Dynamic(pub usize);

impl Width for Dynamic {
    #[inline(always)]
    fn get(self) -> usize {
        self.0
    }
}

/// `n` rows of `width` features, row after row, and how many threads may work on them.
#[derive(Clone, Copy)]
pub(super) struct Rows<'a, W: Width> {
    pub x: &'a [f64],
    pub n: usize,
    pub width: W,
    pub threads: usize,
}

impl<'a, W: Width> Rows<'a, W> {
    /// Features per row.
    #[inline(always)]
    pub fn d(&self) -> usize {
        self.width.get()
    }

    /// Row `i`.
    #[inline(always)]
    pub fn row(&self, i: usize) -> &'a [f64] {
        let d = self.d();
        &self.x[i * d..(i + 1) * d]
    }

    /// The same rows, worked on by `threads` threads.
    pub fn with_threads(self, threads: usize) -> Self {
        Self {
            threads: threads.max(1),
            ..self
        }
    }

    /// Squared distance between two points of this width.
    #[inline(always)]
    pub fn distance(&self, a: &[f64], b: &[f64]) -> f64 {
        let d = self.d();
        let (a, b) = (&a[..d], &b[..d]);
        let mut sum = 0.0;
        for j in 0..d {
            let t = a[j] - b[j];
            sum += t * t;
        }
        sum
    }

    /// Centre `c` of `centres` (k rows of this width, flattened).
    #[inline(always)]
    pub fn centre<'c>(&self, centres: &'c [f64], c: usize) -> &'c [f64] {
        let d = self.d();
        &centres[c * d..(c + 1) * d]
    }

    /// The nearest of `centres` to `row` and its squared distance; ties go to the lowest
    /// index (as [`super::nearest`], which gives the same distances).
    #[inline(always)]
    pub fn nearest(&self, row: &[f64], centres: &[f64]) -> (usize, f64) {
        let k = centres.len() / self.d().max(1);
        let (mut best, mut best_d) = (0, f64::INFINITY);
        for c in 0..k {
            let dist = self.distance(row, self.centre(centres, c));
            if dist < best_d {
                best = c;
                best_d = dist;
            }
        }
        (best, best_d)
    }

    /// The nearest centre (ties to the lowest index), its squared distance, and the squared
    /// distance to the second nearest.
    #[inline(always)]
    pub fn two_nearest(&self, row: &[f64], centres: &[f64]) -> (usize, f64, f64) {
        let k = centres.len() / self.d().max(1);
        let (mut best, mut best_d, mut second_d) = (0, f64::INFINITY, f64::INFINITY);
        for c in 0..k {
            let dist = self.distance(row, self.centre(centres, c));
            if dist < best_d {
                second_d = best_d;
                best = c;
                best_d = dist;
            } else if dist < second_d {
                second_d = dist;
            }
        }
        (best, best_d, second_d)
    }

    /// Apply `work` to every chunk of rows, in parallel, returning the results in chunk order.
    pub fn map_chunks<T: Send>(&self, work: impl Fn(Range<usize>) -> T + Sync) -> Vec<T> {
        let jobs = vec![(); self.n.div_ceil(CHUNK)];
        self.spread(jobs, |c, ()| work(c * CHUNK..((c + 1) * CHUNK).min(self.n)))
    }

    /// Apply `work(first_row, slice)` to every chunk of rows and its slice of a per-row array,
    /// in parallel, returning the results in chunk order.
    pub fn map_chunks_mut<S: Send, T: Send>(
        &self,
        per_row: &mut [S],
        work: impl Fn(usize, &mut [S]) -> T + Sync,
    ) -> Vec<T> {
        let jobs = per_row.chunks_mut(CHUNK).collect();
        self.spread(jobs, |c, slice| work(c * CHUNK, slice))
    }

    /// Apply `work` to every chunk of rows and its slices of three per-row arrays, in
    /// parallel, returning the results in chunk order.
    pub fn update_chunks<A: Send, B: Send, T: Send>(
        &self,
        first: &mut [A],
        second: &mut [B],
        third: &mut [B],
        work: &(impl Fn(usize, &mut [A], &mut [B], &mut [B]) -> T + Sync),
    ) -> Vec<T> {
        let jobs = first
            .chunks_mut(CHUNK)
            .zip(second.chunks_mut(CHUNK))
            .zip(third.chunks_mut(CHUNK))
            .map(|((a, b), c)| (a, b, c))
            .collect();
        self.spread(jobs, |c, (a, b, w)| work(c * CHUNK, a, b, w))
    }

    /// Run `work(index, job)` for every job, job `i` on thread `i % threads`, and return the
    /// results in job order.
    fn spread<J: Send, T: Send>(
        &self,
        jobs: Vec<J>,
        work: impl Fn(usize, J) -> T + Sync,
    ) -> Vec<T> {
        let count = jobs.len();
        let threads = self.threads.min(count).max(1);
        if threads == 1 {
            return jobs
                .into_iter()
                .enumerate()
                .map(|(c, j)| work(c, j))
                .collect();
        }
        let mut shares: Vec<Vec<(usize, J)>> = (0..threads).map(|_| Vec::new()).collect();
        for (c, job) in jobs.into_iter().enumerate() {
            shares[c % threads].push((c, job));
        }
        let mut slots: Vec<Option<T>> = (0..count).map(|_| None).collect();
        std::thread::scope(|scope| {
            let work = &work;
            let handles: Vec<_> = shares
                .into_iter()
                .map(|share| {
                    scope.spawn(move || {
                        share
                            .into_iter()
                            .map(|(c, job)| (c, work(c, job)))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for handle in handles {
                for (c, value) in handle.join().expect("k-means worker does not panic") {
                    slots[c] = Some(value);
                }
            }
        });
        slots
            .into_iter()
            .map(|s| s.expect("every chunk computed"))
            .collect()
    }

    /// The mean over features of the (population) variance: scikit-learn's scale for `tol`.
    pub fn mean_variance(&self) -> f64 {
        let (n, d) = (self.n as f64, self.d());
        let mut total = 0.0;
        for j in 0..d {
            let mean = (0..self.n).map(|i| self.x[i * d + j]).sum::<f64>() / n;
            let var = (0..self.n)
                .map(|i| (self.x[i * d + j] - mean).powi(2))
                .sum::<f64>()
                / n;
            total += var;
        }
        total / d.max(1) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_dynamic_widths_give_the_same_bits() {
        let x = [0.1, -2.5, 3.25, 7.0, 1e-3, -0.3];
        let centres = [0.0, 0.0, 0.0, 1.0, -2.0, 3.0, 6.5, 0.5, 0.25];
        let fixed = Rows {
            x: &x,
            n: 2,
            width: Fixed::<3>,
            threads: 1,
        };
        let dynamic = Rows {
            x: &x,
            n: 2,
            width: Dynamic(3),
            threads: 1,
        };
        for i in 0..2 {
            let row = fixed.row(i);
            assert_eq!(
                fixed.two_nearest(row, &centres),
                dynamic.two_nearest(row, &centres)
            );
            let (c, dist) = fixed.nearest(row, &centres);
            assert_eq!((c, dist), super::super::nearest(row, &centres));
            // by hand: row 0 is nearest to (1, -2, 3): 0.81 + 0.25 + 0.0625
            if i == 0 {
                assert_eq!(c, 1);
                assert!((dist - 1.1225).abs() < 1e-12);
            }
        }
    }
}
