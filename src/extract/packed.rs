//! 64-bit columns in four bytes a value, exactly: the record store's row numbers, text offsets
//! and timestamps are nearly always in a 32-bit range, and a run's peak memory is mostly the
//! record store (issue 19).
//!
//! [`PackedU64s`] keeps each value's low 32 bits and its high words as runs, one entry where the
//! high word changes: while every value is below 2^32 (below 4 GiB of text, 4 billion rows a
//! file) there are no runs and a read is one load; past it, a read is a binary search over the
//! runs. [`PackedTimes`] keeps seconds from 1970 to 2106 as they are, marks `NO_TIME`, and keeps
//! any other time in a side list by index. Any sequence of values is stored exactly: nothing is
//! assumed about their order or range.

use super::records::NO_TIME;

/// A column of `u64` values stored in 32 bits each (see the module docs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PackedU64s {
    low: Vec<u32>,
    /// `(first index, high word)` from which on values have that high word; an index before the
    /// first run has the high word 0.
    high: Vec<(usize, u32)>,
}

impl PackedU64s {
    /// An empty column with room for `n` values.
    pub fn with_capacity(n: usize) -> PackedU64s {
        PackedU64s {
            low: Vec::with_capacity(n),
            high: Vec::new(),
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.low.len()
    }

    /// True without values.
    pub fn is_empty(&self) -> bool {
        self.low.is_empty()
    }

    /// Appends `value`.
    pub fn push(&mut self, value: u64) {
        let high = (value >> 32) as u32;
        if high != self.high.last().map_or(0, |&(_, h)| h) {
            self.high.push((self.low.len(), high));
        }
        self.low.push(value as u32);
    }

    /// The value at `i`. Panics when `i` is out of bounds, as a slice index does.
    #[inline(always)]
    pub fn get(&self, i: usize) -> u64 {
        let low = u64::from(self.low[i]);
        if self.high.is_empty() {
            low
        } else {
            (u64::from(self.high_word(i)) << 32) | low
        }
    }

    /// The high word of value `i`, from the runs (only past 2^32: kept out of the inlined
    /// [`PackedU64s::get`], whose text and row lookups sit in hot loops).
    #[cold]
    #[inline(never)]
    fn high_word(&self, i: usize) -> u32 {
        let runs = self.high.partition_point(|&(start, _)| start <= i);
        if runs == 0 { 0 } else { self.high[runs - 1].1 }
    }

    /// Every value, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl FromIterator<u64> for PackedU64s {
    fn from_iter<I: IntoIterator<Item = u64>>(values: I) -> PackedU64s {
        let values = values.into_iter();
        let mut column = PackedU64s::with_capacity(values.size_hint().0);
        for v in values {
            column.push(v);
        }
        column
    }
}

/// Timestamps (seconds since the epoch, or `NO_TIME`) in four bytes each (see the module docs).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PackedTimes {
    low: Vec<u32>,
    /// `(index, time)` of the times outside `0..OUTSIDE`, by index.
    outside: Vec<(usize, i64)>,
}

/// Marks `NO_TIME` in [`PackedTimes`].
const MISSING: u32 = u32::MAX;
/// Marks a time kept in [`PackedTimes::outside`]; the times below it are stored as they are.
const OUTSIDE: u32 = u32::MAX - 1;

impl PackedTimes {
    /// An empty column with room for `n` times.
    pub fn with_capacity(n: usize) -> PackedTimes {
        PackedTimes {
            low: Vec::with_capacity(n),
            outside: Vec::new(),
        }
    }

    /// Appends the times `range` of `other`.
    pub fn extend_from(&mut self, other: &PackedTimes, range: std::ops::Range<usize>) {
        for i in range {
            self.push(other.get(i));
        }
    }

    /// Number of times.
    pub fn len(&self) -> usize {
        self.low.len()
    }

    /// True without times.
    pub fn is_empty(&self) -> bool {
        self.low.is_empty()
    }

    /// Appends `time` (`NO_TIME` for none).
    pub fn push(&mut self, time: i64) {
        let low = match u32::try_from(time) {
            _ if time == NO_TIME => MISSING,
            Ok(t) if t < OUTSIDE => t,
            _ => {
                self.outside.push((self.low.len(), time));
                OUTSIDE
            }
        };
        self.low.push(low);
    }

    /// The time at `i`, `NO_TIME` for none. Panics when `i` is out of bounds.
    #[inline(always)]
    pub fn get(&self, i: usize) -> i64 {
        match self.low[i] {
            MISSING => NO_TIME,
            OUTSIDE => self.outside_at(i),
            t => i64::from(t),
        }
    }

    /// The time at `i` kept in `outside` (rare: kept out of the inlined [`PackedTimes::get`]).
    #[cold]
    #[inline(never)]
    fn outside_at(&self, i: usize) -> i64 {
        let at = self.outside.partition_point(|&(j, _)| j < i);
        self.outside[at].1
    }

    /// Every time, in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = i64> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

impl FromIterator<i64> for PackedTimes {
    fn from_iter<I: IntoIterator<Item = i64>>(times: I) -> PackedTimes {
        let times = times.into_iter();
        let mut column = PackedTimes::with_capacity(times.size_hint().0);
        for t in times {
            column.push(t);
        }
        column
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_values_need_no_runs() {
        let column: PackedU64s = [0, 7, u64::from(u32::MAX), 3].into_iter().collect();
        assert!(column.high.is_empty());
        assert_eq!(
            column.iter().collect::<Vec<_>>(),
            [0, 7, u64::from(u32::MAX), 3]
        );
    }

    #[test]
    fn values_past_four_billion_keep_their_high_words() {
        let big = 5u64 << 32 | 9;
        let values = [1, 1 << 32, big, big + 1, 2, u64::MAX, 0];
        let column: PackedU64s = values.into_iter().collect();
        assert_eq!(column.iter().collect::<Vec<_>>(), values);
        // One run per change of the high word: 1, 5, 0, max, 0.
        assert_eq!(column.high.len(), 5);
    }

    #[test]
    fn times_outside_1970_to_2106_and_missing_ones_read_back() {
        let times = [
            1_700_000_000,
            NO_TIME,
            -1,
            0,
            i64::from(OUTSIDE) - 1,
            i64::from(OUTSIDE),
            i64::from(MISSING),
            i64::MAX,
            NO_TIME + 1,
        ];
        let column: PackedTimes = times.into_iter().collect();
        assert_eq!(column.iter().collect::<Vec<_>>(), times);
        assert_eq!(column.outside.len(), 5);
    }

    proptest! {
        #[test]
        fn every_time_sequence_reads_back_exactly(
            times in proptest::collection::vec(
                prop_oneof![
                    Just(NO_TIME),
                    any::<i64>(),
                    0i64..5_000_000_000,
                    -1_000_000i64..1_000_000,
                ],
                0..200,
            )
        ) {
            let column: PackedTimes = times.iter().copied().collect();
            prop_assert_eq!(column.len(), times.len());
            for (i, &t) in times.iter().enumerate() {
                prop_assert_eq!(column.get(i), t);
            }
        }


        #[test]
        fn every_sequence_reads_back_exactly(
            values in proptest::collection::vec(
                prop_oneof![any::<u32>().prop_map(u64::from), any::<u64>(), 0u64..3 << 32],
                0..200,
            )
        ) {
            let column: PackedU64s = values.iter().copied().collect();
            prop_assert_eq!(column.len(), values.len());
            for (i, &v) in values.iter().enumerate() {
                prop_assert_eq!(column.get(i), v);
            }
        }
    }
}
