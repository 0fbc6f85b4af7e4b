//! Distinct values per customer (order ids for frequency, purchase days for periodicity)
//! without a set per customer.
//!
//! While rows stream in, every run of rows with a new (customer, value) pair appends one entry
//! to a [`GroupedKeys`] log: a sequential write, whatever the customer. Repeats are removed
//! later, all at once, by [`GroupedKeys::compact`]: a counting sort of the entries by customer,
//! then a sort of each customer's few keys. The log is compacted whenever it has doubled since
//! the last compaction, so it never holds much more than twice the distinct pairs.
//!
//! Text keys (invoice numbers) become [`TextKey`]s: a string of up to 7 bytes is its own key;
//! so is a longer invoice number of up to 16 digits after at most one capital letter
//! (`C12345678`), packed as a number; any other text is interned in a [`LongTexts`] table. Keys
//! compare as integers and equal keys are equal strings. Packing the numbers matters at scale:
//! 100M lines carry 22M eight-digit invoice numbers, and interning each one is a probe of a
//! table that no longer fits in cache, and ~30 bytes of memory, per order.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

/// Entries appended since the last compaction that trigger the next one, at least.
const MIN_COMPACTION: usize = 1 << 16;

/// (group, key) entries, kept as two parallel vectors (no padding between a 4-byte group and
/// a wider key); after [`compact`](Self::compact), sorted by group then key, with no repeats.
#[derive(Debug, Clone)]
pub struct GroupedKeys<K> {
    groups: Vec<u32>,
    keys: Vec<K>,
    /// Length after the last compaction (the entries before it are sorted and distinct).
    compacted: usize,
    /// The next compaction comes when the log is this many times `compacted`: 2, doubled
    /// (up to [`MAX_GROWTH`]) after each compaction that found few repeats.
    growth: usize,
}

/// The most the log grows between compactions, as a multiple of its distinct entries.
const MAX_GROWTH: usize = 8;

impl<K> Default for GroupedKeys<K> {
    fn default() -> Self {
        Self {
            groups: Vec::new(),
            keys: Vec::new(),
            compacted: 0,
            growth: 2,
        }
    }
}

impl<K: Copy + Ord + Default> GroupedKeys<K> {
    /// How many entries are held (repeats included).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none are.
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Record that `group` has `key` (repeats are fine).
    #[inline]
    pub fn push(&mut self, group: u32, key: K) {
        self.groups.push(group);
        self.keys.push(key);
    }

    /// Whether enough entries came in since the last compaction for another to pay. When
    /// compactions find few repeats (every line of the log a new order), they come further
    /// apart: sorting a log that does not shrink only costs time.
    pub fn wants_compaction(&self) -> bool {
        self.keys.len() >= (self.growth * self.compacted).max(MIN_COMPACTION)
    }

    /// Sort the entries by group and key and drop repeats. `groups` bounds the group numbers.
    pub fn compact(&mut self, groups: usize) {
        if self.compacted == self.keys.len() {
            return;
        }
        // counting sort by group: `starts[g]..starts[g + 1]` is group g's run in `sorted`
        let mut starts = vec![0usize; groups + 1];
        for &group in &self.groups {
            starts[group as usize + 1] += 1;
        }
        for g in 0..groups {
            starts[g + 1] += starts[g];
        }
        let mut sorted = vec![K::default(); self.keys.len()];
        let mut next = starts.clone();
        for (&group, &key) in self.groups.iter().zip(&self.keys) {
            let slot = &mut next[group as usize];
            sorted[*slot] = key;
            *slot += 1;
        }
        drop(next);
        // each group's keys sorted, repeats dropped, written down in place
        self.groups.clear();
        let mut kept = 0;
        for g in 0..groups {
            let (start, end) = (starts[g], starts[g + 1]);
            if end - start > 1 {
                sorted[start..end].sort_unstable();
            }
            for i in start..end {
                if i == start || sorted[i] != sorted[i - 1] {
                    sorted[kept] = sorted[i];
                    kept += 1;
                    self.groups.push(g as u32);
                }
            }
        }
        // fewer than one in eight of the entries since the last compaction were repeats
        let fresh = self.keys.len() - self.compacted;
        let repeats = self.keys.len() - kept;
        self.growth = if repeats * 8 < fresh {
            (self.growth * 2).min(MAX_GROWTH)
        } else {
            2
        };
        sorted.truncate(kept);
        sorted.shrink_to(kept * 2);
        self.groups.shrink_to(kept * 2);
        self.keys = sorted;
        self.compacted = kept;
    }

    /// Compacted, then the entries of groups `0..n` removed and returned (in group order), and
    /// the groups after them renumbered from 0. `groups` bounds the group numbers.
    pub fn take_first(&mut self, n: usize, groups: usize) -> Vec<(u32, K)> {
        self.compact(groups);
        let split = self.groups.partition_point(|&g| (g as usize) < n);
        let taken = self
            .groups
            .drain(..split)
            .zip(self.keys.drain(..split))
            .collect();
        let n = n as u32;
        for group in &mut self.groups {
            *group -= n;
        }
        self.compacted = self.keys.len();
        taken
    }

    /// All keys, in no particular order.
    pub fn keys_mut(&mut self) -> &mut [K] {
        &mut self.keys
    }

    /// Heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        self.groups.capacity() * 4 + self.keys.capacity() * std::mem::size_of::<K>()
    }
}

/// A text value as a key: equal keys exactly when the texts are equal (given one
/// [`LongTexts`]). The top byte tells the kind. Up to 7 bytes: the bytes, and the length
/// (0–7) in the top byte. An invoice number (an optional capital letter, then 1–16 digits):
/// the top bit set, then 9 bits for the letter and the digit count, then the digits' value in
/// 54 bits. Anything else: `0xFF` and the id of the interned text.
pub type TextKey = u64;

/// Length byte marking a [`TextKey`] that holds an interned id.
const LONG: u8 = 0xFF;
/// The longest text kept inside its key.
const INLINE: usize = 7;
/// The most digits of an invoice number packed into its key (10^16 < 2^54).
const NUMBER_DIGITS: usize = 16;
/// Bits of a packed invoice number's value.
const NUMBER_BITS: u32 = 54;
/// The top bit, set on packed invoice numbers.
const NUMBER: u64 = 1 << 63;

/// The longest text a key holds without interning: a letter and [`NUMBER_DIGITS`] digits.
pub const KEY_TEXT_BYTES: usize = 1 + NUMBER_DIGITS;

/// The key of `text` if it is short enough to be its own key.
#[inline]
pub fn inline_key(text: &str) -> Option<TextKey> {
    let bytes = text.as_bytes();
    if bytes.len() > INLINE {
        return None;
    }
    let mut raw = [0u8; 8];
    raw[..bytes.len()].copy_from_slice(bytes);
    raw[INLINE] = bytes.len() as u8;
    Some(u64::from_le_bytes(raw))
}

/// The key of an invoice number: an optional capital letter, then 1 to 16 digits.
#[inline]
pub fn number_key(text: &str) -> Option<TextKey> {
    let bytes = text.as_bytes();
    let (letter, digits) = match bytes.first() {
        Some(b @ b'A'..=b'Z') => (u64::from(b - b'A') + 1, &bytes[1..]),
        _ => (0, bytes),
    };
    if digits.is_empty() || digits.len() > NUMBER_DIGITS {
        return None;
    }
    let mut value = 0u64;
    for &b in digits {
        if !b.is_ascii_digit() {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
    }
    let shape = letter * NUMBER_DIGITS as u64 + (digits.len() as u64 - 1);
    Some(NUMBER | shape << NUMBER_BITS | value)
}

/// The text of a key made by [`number_key`], written into `out`.
fn number_text(key: TextKey, out: &mut [u8; KEY_TEXT_BYTES]) -> &str {
    let shape = (key & !NUMBER) >> NUMBER_BITS;
    let (letter, digits) = (
        shape / NUMBER_DIGITS as u64,
        shape % NUMBER_DIGITS as u64 + 1,
    );
    let mut value = key & ((1 << NUMBER_BITS) - 1);
    let start = usize::from(letter > 0);
    let end = start + digits as usize;
    if letter > 0 {
        out[0] = b'A' + (letter - 1) as u8;
    }
    for slot in out[start..end].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
    std::str::from_utf8(&out[..end]).unwrap_or_default()
}

/// Interned texts longer than 7 bytes, each stored once, addressed by dense ids.
#[derive(Debug, Default)]
pub struct LongTexts {
    text: String,
    ends: Vec<usize>,
    table: HashTable<u32>,
    hasher: DefaultHashBuilder,
}

impl LongTexts {
    /// The key of `text`, interning it if it is long.
    #[inline]
    pub fn key(&mut self, text: &str) -> TextKey {
        inline_key(text)
            .or_else(|| number_key(text))
            .unwrap_or_else(|| self.long_key(text))
    }

    fn long_key(&mut self, text: &str) -> TextKey {
        let hash = self.hasher.hash_one(text);
        let Self {
            text: all,
            ends,
            table,
            hasher,
        } = self;
        let get = |id: u32| slice(all, ends, id);
        if let Some(&id) = table.find(hash, |&id| get(id) == text) {
            return long(id);
        }
        let id = u32::try_from(ends.len()).unwrap_or(u32::MAX);
        all.push_str(text);
        ends.push(all.len());
        table.insert_unique(hash, id, |&id| hasher.hash_one(slice(all, ends, id)));
        long(id)
    }

    /// The text of `key`, written into `out` (cleared first).
    pub fn text_into<'a>(&'a self, key: TextKey, out: &'a mut [u8; KEY_TEXT_BYTES]) -> &'a str {
        let raw = key.to_le_bytes();
        if raw[INLINE] == LONG {
            return slice(
                &self.text,
                &self.ends,
                raw[0..4].try_into().map_or(0, u32::from_le_bytes),
            );
        }
        if key & NUMBER != 0 {
            return number_text(key, out);
        }
        out[..8].copy_from_slice(&raw);
        let len = usize::from(raw[INLINE]).min(INLINE);
        std::str::from_utf8(&out[..len]).unwrap_or_default()
    }

    /// Keep only the texts of `keys`: a fresh store, the keys renumbered into it. Called once
    /// most stored texts belong to groups already emitted.
    pub fn retain<'k>(&mut self, keys: impl Iterator<Item = &'k mut TextKey>) {
        let mut kept = LongTexts::default();
        for key in keys {
            let raw = key.to_le_bytes();
            if raw[INLINE] == LONG {
                let id = raw[0..4].try_into().map_or(0, u32::from_le_bytes);
                *key = kept.long_key(slice(&self.text, &self.ends, id));
            }
        }
        *self = kept;
    }

    /// How many long texts are stored.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Heap bytes held, roughly.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8 + self.table.capacity() * 5
    }
}

/// Whether `key` holds an interned id.
pub fn is_long(key: TextKey) -> bool {
    key.to_le_bytes()[INLINE] == LONG
}

fn long(id: u32) -> TextKey {
    let mut raw = [0u8; 8];
    raw[0..4].copy_from_slice(&id.to_le_bytes());
    raw[INLINE] = LONG;
    u64::from_le_bytes(raw)
}

fn slice<'a>(text: &'a str, ends: &[usize], id: u32) -> &'a str {
    let i = id as usize;
    let start = if i == 0 { 0 } else { ends[i - 1] };
    &text[start..ends[i]]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// A small deterministic generator (64-bit LCG), so the tests need no crate.
    fn lcg(state: &mut u64) -> u64 {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    }

    #[test]
    fn counts_match_a_set_per_group_across_compactions_and_emits() {
        let groups = 300;
        let mut log = GroupedKeys::<i64>::default();
        let mut reference = vec![BTreeSet::new(); groups];
        let mut state = 7;
        for i in 0..200_000 {
            let group = (lcg(&mut state) % groups as u64) as u32;
            let key = (lcg(&mut state) % 40) as i64 - 20;
            log.push(group, key);
            reference[group as usize].insert(key);
            if i % 10_000 == 0 && log.wants_compaction() {
                log.compact(groups);
            }
        }
        // the first 100 groups emitted, the rest renumbered
        let taken = log.take_first(100, groups);
        let mut taken_sets = vec![BTreeSet::new(); 100];
        for (group, key) in taken {
            assert!(taken_sets[group as usize].insert(key), "a repeat of {key}");
        }
        assert_eq!(taken_sets, reference[..100]);
        // entries added after an emit land on the renumbered groups
        log.push(0, 1000);
        log.push(0, 1000);
        reference[100].insert(1000);
        let rest = log.take_first(groups - 100, groups - 100);
        let mut counts = vec![0; groups - 100];
        for (group, _) in rest {
            counts[group as usize] += 1;
        }
        let expected: Vec<usize> = reference[100..].iter().map(BTreeSet::len).collect();
        assert_eq!(counts, expected);
        assert!(log.is_empty());
    }

    #[test]
    fn compaction_is_triggered_by_doubling() {
        let mut log = GroupedKeys::<i64>::default();
        for i in 0..MIN_COMPACTION as i64 {
            assert!(!log.wants_compaction());
            log.push(0, i % 10);
        }
        assert!(log.wants_compaction());
        log.compact(1);
        assert_eq!(log.len(), 10);
        assert!(!log.wants_compaction());
    }

    #[test]
    fn text_keys_are_equal_exactly_when_texts_are() {
        let mut texts = LongTexts::default();
        let words = [
            "536365",
            "C536379",
            "",
            "eight-b!",
            "C5363790",
            "an order id much longer than seven bytes",
            "é",
            "\0",
            "12345678",
            "012345678",
            "C12345678",
            "Z9999999999999999",
            "99999999999999999",
            "c12345678",
            "CC1234567",
        ];
        let keys: Vec<TextKey> = words.iter().map(|w| texts.key(w)).collect();
        let distinct: BTreeSet<TextKey> = keys.iter().copied().collect();
        assert_eq!(distinct.len(), words.len());
        // the same texts again give the same keys; only the two long ones were interned
        let again: Vec<TextKey> = words.iter().map(|w| texts.key(w)).collect();
        assert_eq!(keys, again);
        // interned: the two long texts that are no invoice numbers, a 17-digit number, a
        // lower-case prefix and two letters
        assert_eq!(texts.len(), 5);
        assert_eq!(
            keys.iter().map(|&k| is_long(k)).collect::<Vec<_>>(),
            [
                false, false, false, true, false, true, false, false, false, false, false, false,
                true, true, true
            ]
        );
        let mut buffer = [0u8; KEY_TEXT_BYTES];
        for (word, &key) in words.iter().zip(&keys) {
            assert_eq!(texts.text_into(key, &mut buffer), *word);
        }
    }

    #[test]
    fn retained_long_texts_keep_their_text_and_drop_the_rest() {
        let mut texts = LongTexts::default();
        let names: Vec<String> = (0..100).map(|i| format!("order-number-{i:06}")).collect();
        let mut keys: Vec<TextKey> = names.iter().map(|n| texts.key(n)).collect();
        texts.retain(keys[90..].iter_mut());
        assert_eq!(texts.len(), 10);
        let mut buffer = [0u8; KEY_TEXT_BYTES];
        for (name, &key) in names[90..].iter().zip(&keys[90..]) {
            assert_eq!(texts.text_into(key, &mut buffer), name);
        }
        // a retained text is still found; a dropped one is new again
        assert_eq!(texts.key(&names[95]), keys[95]);
        texts.key(&names[0]);
        assert_eq!(texts.len(), 11);
    }
}
