//! The canonical row order and the fingerprint of training data: rows sorted by value, so a
//! model depends only on the multiset of input rows, whatever the partitioning or batch size
//! they came in.

/// Rows from which [`canonical_order`] sorts two halves side by side.
const PARALLEL_SORT_MIN: usize = 65_536;

/// The columns with their rows sorted lexicographically (-0.0 counts as 0.0), on up to two of
/// `threads`.
///
/// Each row becomes `d` unsigned keys side by side (ordered as `f64::total_cmp` orders the
/// values), so a comparison reads one contiguous row instead of one value per column.
pub(crate) fn canonical_order(columns: &[Vec<f64>], threads: usize) -> Vec<Vec<f64>> {
    let n = columns.first().map_or(0, Vec::len);
    let d = columns.len().max(1);
    let mut keys = vec![0u64; n * d];
    for (j, column) in columns.iter().enumerate() {
        for (i, &v) in column.iter().enumerate() {
            keys[i * d + j] = total_order_key(v + 0.0);
        }
    }
    let index = match d {
        1 => sorted_rows::<1>(&keys, threads),
        2 => sorted_rows::<2>(&keys, threads),
        3 => sorted_rows::<3>(&keys, threads),
        4 => sorted_rows::<4>(&keys, threads),
        _ => sorted_rows_any_width(&keys, d),
    };
    columns
        .iter()
        .map(|c| index.iter().map(|&i| c[i as usize] + 0.0).collect())
        .collect()
}

/// The row numbers of `keys` (rows of `D` keys each, flattened) in ascending key order.
/// Rows are sorted as inline arrays, which compares without indirection; equal rows keep
/// their input order. With two threads and many rows, the halves are sorted side by side and
/// merged: (keys, row number) pairs are all distinct, so the order is the one sort's.
fn sorted_rows<const D: usize>(keys: &[u64], threads: usize) -> Vec<u32> {
    let mut rows: Vec<([u64; D], u32)> = keys
        .chunks_exact(D)
        .enumerate()
        .map(|(i, row)| (row.try_into().expect("chunks of D keys"), i as u32))
        .collect();
    if threads < 2 || rows.len() < PARALLEL_SORT_MIN {
        rows.sort_unstable();
        return rows.into_iter().map(|(_, i)| i).collect();
    }
    let half = rows.len() / 2;
    let (left, right) = rows.split_at_mut(half);
    std::thread::scope(|scope| {
        scope.spawn(|| left.sort_unstable());
        right.sort_unstable();
    });
    merged(left, right)
}

/// The row numbers of two sorted runs, merged.
fn merged<K: Ord>(left: &[(K, u32)], right: &[(K, u32)]) -> Vec<u32> {
    let mut out = Vec::with_capacity(left.len() + right.len());
    let (mut a, mut b) = (left.iter().peekable(), right.iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        if x <= y {
            out.push(x.1);
            a.next();
        } else {
            out.push(y.1);
            b.next();
        }
    }
    out.extend(a.map(|x| x.1));
    out.extend(b.map(|y| y.1));
    out
}

/// [`sorted_rows`] for a width known only at run time.
fn sorted_rows_any_width(keys: &[u64], d: usize) -> Vec<u32> {
    let n = keys.len() / d.max(1);
    let mut index: Vec<u32> = (0..n as u32).collect();
    index.sort_by(|&a, &b| {
        let (a, b) = (a as usize * d, b as usize * d);
        keys[a..a + d].cmp(&keys[b..b + d])
    });
    index
}

/// An unsigned key that sorts as `f64::total_cmp` sorts `v`: negative values have all their
/// bits flipped, the others only their sign bit.
fn total_order_key(v: f64) -> u64 {
    let bits = v.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// FNV-1a (64-bit) over the feature names (byte by byte) and the values in canonical order
/// (one 64-bit word per value), as hex.
pub(crate) fn fingerprint(names: &[String], columns: &[Vec<f64>]) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            hash ^= u64::from(*b);
            hash = hash.wrapping_mul(PRIME);
        }
    };
    for name in names {
        feed(name.as_bytes());
        feed(&[0]);
    }
    let n = columns.first().map_or(0, Vec::len);
    for i in 0..n {
        for column in columns {
            hash ^= column[i].to_bits();
            hash = hash.wrapping_mul(PRIME);
        }
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_order_keys_sort_as_total_cmp() {
        let mut values = vec![
            f64::INFINITY,
            -1.5,
            0.0,
            3.25,
            f64::NEG_INFINITY,
            -0.0,
            1e-300,
            -1e300,
            2.0,
        ];
        let mut by_key = values.clone();
        by_key.sort_by_key(|&v| total_order_key(v));
        values.sort_by(f64::total_cmp);
        assert_eq!(
            by_key.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        // by hand: the smallest is -inf, then -1e300; -0.0 just before 0.0
        assert_eq!(by_key[0], f64::NEG_INFINITY);
        assert_eq!(by_key[1], -1e300);
        assert!(by_key[3] == 0.0 && by_key[3].is_sign_negative());
    }

    /// `n` keys of 0, 1 or 2 from a 64-bit LCG seeded with `state`: rows of them tie often.
    fn few_values(n: usize, mut state: u64) -> Vec<u64> {
        (0..n)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 61) % 3
            })
            .collect()
    }

    #[test]
    fn fixed_and_run_time_widths_sort_rows_alike() {
        // few distinct values, so many rows tie on their first keys or entirely
        let keys = few_values(4000, 7);
        let by_hand = |d: usize| {
            let mut index: Vec<u32> = (0..(keys.len() / d) as u32).collect();
            index.sort_by_key(|&i| keys[i as usize * d..(i as usize + 1) * d].to_vec());
            index
        };
        assert_eq!(sorted_rows::<1>(&keys, 1), by_hand(1));
        assert_eq!(sorted_rows::<2>(&keys, 1), by_hand(2));
        assert_eq!(sorted_rows::<4>(&keys, 1), by_hand(4));
        assert_eq!(sorted_rows_any_width(&keys, 5), by_hand(5));
        assert_eq!(sorted_rows::<3>(&keys[..3999], 1), by_hand(3));
    }

    #[test]
    fn halves_sorted_side_by_side_and_merged_give_the_one_sort() {
        // many ties (3 values per key), so the row numbers decide between equal rows
        let keys = few_values(3 * (PARALLEL_SORT_MIN + 1001), 11);
        let one = sorted_rows::<3>(&keys, 1);
        assert_eq!(sorted_rows::<3>(&keys, 2), one);
        assert_eq!(sorted_rows::<1>(&keys, 2), sorted_rows::<1>(&keys, 1));
        assert!(one.windows(2).all(|w| {
            let key = |i: u32| &keys[i as usize * 3..i as usize * 3 + 3];
            (key(w[0]), w[0]) < (key(w[1]), w[1])
        }));
    }
}
