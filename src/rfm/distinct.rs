//! Distinct values per customer, for frequency (distinct orders) and purchase days, without a
//! hash set per customer.
//!
//! Most customers have a handful of orders, and the lines of one order arrive together, so a
//! [`KeySet`] is a short vector checked from its end (a repeat of the latest key costs one
//! comparison) that becomes a hash set only when a customer has many keys. Text keys (invoice
//! numbers) are first turned into dense integer ids by an [`Interner`], once per run of equal
//! values.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashSet, HashTable};

/// Above this many keys a set switches from a vector to a hash set.
const FEW: usize = 32;

/// The distinct keys of one group.
#[derive(Debug, Clone)]
pub enum KeySet {
    /// Up to [`FEW`] keys, in insertion order.
    Few(Vec<u64>),
    /// More keys.
    Many(Box<HashSet<u64>>),
}

impl Default for KeySet {
    fn default() -> Self {
        KeySet::Few(Vec::new())
    }
}

impl KeySet {
    /// Add `key`; true if it was new.
    #[inline]
    pub fn insert(&mut self, key: u64) -> bool {
        match self {
            KeySet::Few(keys) => {
                if keys.last() == Some(&key) || keys.contains(&key) {
                    return false;
                }
                if keys.len() < FEW {
                    keys.push(key);
                } else {
                    let mut set: HashSet<u64> = keys.drain(..).collect();
                    set.insert(key);
                    *self = KeySet::Many(Box::new(set));
                }
                true
            }
            KeySet::Many(set) => set.insert(key),
        }
    }

    /// How many distinct keys.
    pub fn len(&self) -> usize {
        match self {
            KeySet::Few(keys) => keys.len(),
            KeySet::Many(set) => set.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The keys, in no particular order.
    pub fn keys(&self) -> Box<dyn Iterator<Item = u64> + '_> {
        match self {
            KeySet::Few(keys) => Box::new(keys.iter().copied()),
            KeySet::Many(set) => Box::new(set.iter().copied()),
        }
    }

    /// Heap bytes held, roughly.
    pub fn heap_bytes(&self) -> usize {
        match self {
            KeySet::Few(keys) => keys.capacity() * 8,
            KeySet::Many(set) => set.capacity() * 9 + 64,
        }
    }
}

/// Dense ids for strings: the same string always gets the same id.
#[derive(Debug, Default)]
pub struct Interner {
    ids: HashTable<u32>,
    hasher: DefaultHashBuilder,
    text: String,
    ends: Vec<usize>,
}

impl Interner {
    /// The id of `value`, new or existing.
    pub fn intern(&mut self, value: &str) -> u32 {
        let Self {
            ids,
            hasher,
            text,
            ends,
        } = self;
        let hash = hasher.hash_one(value);
        let span = |id: u32, ends: &[usize]| {
            let i = id as usize;
            (if i == 0 { 0 } else { ends[i - 1] })..ends[i]
        };
        if let Some(&id) = ids.find(hash, |&id| &text[span(id, ends)] == value) {
            return id;
        }
        let id = u32::try_from(ends.len()).expect("fewer than 2^32 distinct order ids");
        text.push_str(value);
        ends.push(text.len());
        ids.insert_unique(hash, id, |&other| hasher.hash_one(&text[span(other, ends)]));
        id
    }

    /// The string with id `id`.
    pub fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Heap bytes held, roughly.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8 + self.ids.capacity() * 5
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_counts_each_key_once_across_the_switch_to_a_hash_set() {
        let mut set = KeySet::default();
        let mut reference = std::collections::BTreeSet::new();
        // keys repeat, interleave and exceed the small-vector size
        for i in 0..500u64 {
            let key = (i * 7919) % 97;
            assert_eq!(set.insert(key), reference.insert(key), "key {key}");
            assert!(!set.insert(key), "an immediate repeat of {key}");
        }
        assert_eq!(set.len(), 97);
        assert!(matches!(set, KeySet::Many(_)));
        let mut keys: Vec<u64> = set.keys().collect();
        keys.sort();
        assert_eq!(keys, (0..97).collect::<Vec<_>>());
    }

    #[test]
    fn a_small_set_stays_a_vector() {
        let mut set = KeySet::default();
        for key in [5, 5, 3, 5, 3, 9] {
            set.insert(key);
        }
        assert_eq!(set.len(), 3);
        assert!(matches!(set, KeySet::Few(_)));
    }

    #[test]
    fn the_interner_gives_one_id_per_distinct_string() {
        let mut interner = Interner::default();
        let words = ["536365", "C536379", "", "536365", "é", "", "C536379"];
        let ids: Vec<u32> = words.iter().map(|w| interner.intern(w)).collect();
        assert_eq!(ids, vec![0, 1, 2, 0, 3, 2, 1]);
        for (word, id) in words.iter().zip(&ids) {
            assert_eq!(interner.get(*id), *word);
        }
        // many strings: ids stay dense and lookups survive the table growing
        for i in 0..10_000 {
            assert_eq!(interner.intern(&format!("inv-{i}")), 4 + i);
        }
        assert_eq!(interner.intern("inv-1234"), 4 + 1234);
        assert_eq!(interner.get(4 + 9999), "inv-9999");
    }
}
