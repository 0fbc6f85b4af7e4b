//! Distinct values per customer, for frequency (distinct orders) and purchase days, without a
//! hash set per customer.
//!
//! Most customers have a handful of orders, and the lines of one order arrive together, so a
//! [`KeySet`] is a short vector checked from its end (a repeat of the latest key costs one
//! comparison) that becomes a hash set only when a customer has many keys. Text keys (invoice
//! numbers) go into a [`TextSet`]: hashes compared first, the strings kept once in a shared
//! [`Strings`] arena, so no table over every invoice of the file is needed.

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

/// The distinct strings of one group: (hash, id) pairs, the strings themselves in a
/// [`Strings`] arena shared by all groups. No table over all strings is needed, so a lookup
/// touches only the group's own few entries.
#[derive(Debug, Clone)]
pub enum TextSet {
    /// Up to [`FEW`] strings.
    Few(Vec<(u64, u32)>),
    /// More strings.
    Many(Box<HashTable<(u64, u32)>>),
}

impl Default for TextSet {
    fn default() -> Self {
        TextSet::Few(Vec::new())
    }
}

impl TextSet {
    /// Add `value` (whose hash is `hash`, always from the same hasher); true if it was new.
    #[inline]
    pub fn insert(&mut self, hash: u64, value: &str, strings: &mut Strings) -> bool {
        let same = |&(h, id): &(u64, u32)| h == hash && strings.get(id) == value;
        match self {
            TextSet::Few(entries) => {
                if entries.iter().rev().any(same) {
                    return false;
                }
                let id = strings.push(value);
                if entries.len() < FEW {
                    entries.push((hash, id));
                } else {
                    let mut table = HashTable::with_capacity(FEW * 2);
                    for &entry in entries.iter().chain([&(hash, id)]) {
                        table.insert_unique(entry.0, entry, |e: &(u64, u32)| e.0);
                    }
                    *self = TextSet::Many(Box::new(table));
                }
                true
            }
            TextSet::Many(table) => {
                if table.find(hash, same).is_some() {
                    return false;
                }
                let id = strings.push(value);
                table.insert_unique(hash, (hash, id), |e| e.0);
                true
            }
        }
    }

    /// How many distinct strings.
    pub fn len(&self) -> usize {
        match self {
            TextSet::Few(entries) => entries.len(),
            TextSet::Many(table) => table.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Copy this set's strings from `from` into `to`, pointing the set at the copies.
    pub fn rehome(&mut self, from: &Strings, to: &mut Strings) {
        let mut move_entry = |entry: &mut (u64, u32)| entry.1 = to.push(from.get(entry.1));
        match self {
            TextSet::Few(entries) => entries.iter_mut().for_each(&mut move_entry),
            TextSet::Many(table) => table.iter_mut().for_each(&mut move_entry),
        }
    }

    /// The strings' ids in the arena, in no particular order.
    pub fn ids(&self) -> Box<dyn Iterator<Item = u32> + '_> {
        match self {
            TextSet::Few(entries) => Box::new(entries.iter().map(|e| e.1)),
            TextSet::Many(table) => Box::new(table.iter().map(|e| e.1)),
        }
    }
}

/// An append-only arena of strings, addressed by dense ids.
#[derive(Debug, Default)]
pub struct Strings {
    text: String,
    ends: Vec<usize>,
}

impl Strings {
    /// Store `value`; its id.
    pub fn push(&mut self, value: &str) -> u32 {
        let id = u32::try_from(self.ends.len()).expect("fewer than 2^32 distinct order ids");
        self.text.push_str(value);
        self.ends.push(self.text.len());
        id
    }

    /// The string with id `id`.
    #[inline]
    pub fn get(&self, id: u32) -> &str {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    /// Heap bytes held, roughly.
    pub fn heap_bytes(&self) -> usize {
        self.text.capacity() + self.ends.capacity() * 8
    }

    /// How many strings are stored.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether none are.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

/// The hasher for [`TextSet`]s: one per accumulator, so every hash it compares comes from it.
pub type TextHasher = DefaultHashBuilder;

/// The hash of `value` under `hasher`.
#[inline]
pub fn text_hash(hasher: &TextHasher, value: &str) -> u64 {
    hasher.hash_one(value)
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
    fn rehomed_sets_keep_their_strings_and_the_new_arena_holds_only_theirs() {
        let hasher = TextHasher::default();
        let mut arena = Strings::default();
        let mut gone = TextSet::default();
        let mut few = TextSet::default();
        let mut many = TextSet::default();
        let names: Vec<String> = (0..100).map(|i| format!("inv-{i}")).collect();
        for name in &names[..10] {
            gone.insert(text_hash(&hasher, name), name, &mut arena);
        }
        for name in &names[..3] {
            few.insert(text_hash(&hasher, name), name, &mut arena);
        }
        for name in &names {
            many.insert(text_hash(&hasher, name), name, &mut arena);
        }
        let mut kept = Strings::default();
        few.rehome(&arena, &mut kept);
        many.rehome(&arena, &mut kept);
        // each set stores its own copy: 10 + 3 + 100 strings, of which 3 + 100 are kept
        assert_eq!((arena.len(), kept.len()), (113, 103));
        let strings = |set: &TextSet, arena: &Strings| {
            let mut v: Vec<String> = set.ids().map(|id| arena.get(id).to_string()).collect();
            v.sort();
            v
        };
        assert_eq!(strings(&few, &kept), ["inv-0", "inv-1", "inv-2"]);
        let mut all = names.clone();
        all.sort();
        assert_eq!(strings(&many, &kept), all);
        // still sets: a string already in is found through its hash and the new arena
        assert!(!many.insert(text_hash(&hasher, "inv-42"), "inv-42", &mut kept));
        assert!(few.insert(text_hash(&hasher, "inv-42"), "inv-42", &mut kept));
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
    fn a_text_set_compares_strings_not_just_hashes() {
        let hasher = TextHasher::default();
        let mut strings = Strings::default();
        let mut set = TextSet::default();
        let words = ["536365", "C536379", "", "536365", "é", "", "C536379"];
        let new: Vec<bool> = words
            .iter()
            .map(|w| set.insert(text_hash(&hasher, w), w, &mut strings))
            .collect();
        assert_eq!(new, vec![true, true, true, false, true, false, false]);
        // a forged hash collision: same hash, different text, is still a new string
        assert!(set.insert(text_hash(&hasher, "536365"), "other", &mut strings));
        assert_eq!(set.len(), 5);
        // past the small-vector size the set becomes a table, and keeps counting exactly
        for i in 0..1000 {
            let w = format!("inv-{}", i % 300);
            let expected = i < 300;
            assert_eq!(
                set.insert(text_hash(&hasher, &w), &w, &mut strings),
                expected,
                "{w}"
            );
        }
        assert!(matches!(set, TextSet::Many(_)));
        assert_eq!(set.len(), 305);
        let mut texts: Vec<&str> = set.ids().map(|id| strings.get(id)).collect();
        texts.sort();
        texts.dedup();
        assert_eq!(texts.len(), 305);
    }
}
