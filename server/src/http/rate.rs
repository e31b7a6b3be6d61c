//! A rate limit per caller: a token bucket per key (a token's digest, or
//! one shared key without tokens), kept as its "theoretical arrival time"
//! (GCRA): one `Instant` per key, no timer, no float. A request is taken
//! when the bucket is not empty; each takes one and the bucket refills at
//! the rate, up to the burst. Only `std`: a map under a mutex, held for a
//! few comparisons.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Requests per second and the burst allowed above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests per second, over time; 0 turns the limit off.
    pub per_second: u32,
    /// How many may come at once after a quiet while.
    pub burst: u32,
}

impl Rate {
    /// Generous: a benchmark on one machine is not throttled.
    pub const DEFAULT: Rate = Rate { per_second: 200, burst: 400 };
}

impl Default for Rate {
    fn default() -> Rate {
        Rate::DEFAULT
    }
}

/// Whose bucket: a token's SHA-256 digest (or all zeros without tokens).
pub type Key = [u8; 32];

/// A map grown past this is swept of full buckets (which are the same as
/// none), so it holds at most the keys busy in the last burst's time: keys
/// are tokens from the tokens file, a finite set, and an unknown token
/// never gets a bucket.
const SWEEP_ABOVE: usize = 1024;

#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    /// When each key's bucket will be full again.
    full_at: Mutex<HashMap<Key, Instant>>,
}

impl Limiter {
    pub fn new(rate: Rate) -> Limiter {
        Limiter { rate, full_at: Mutex::new(HashMap::new()) }
    }

    /// Takes one request from `key`'s bucket at `now`, or answers how long
    /// until one can be taken.
    pub fn take(&self, key: &Key, now: Instant) -> Result<(), Duration> {
        if self.rate.per_second == 0 {
            return Ok(());
        }
        let interval = Duration::from_secs(1) / self.rate.per_second;
        let window = interval.saturating_mul(self.rate.burst.max(1));
        let mut map = self.full_at.lock().unwrap_or_else(PoisonError::into_inner);
        let full_at = map.get(key).copied().filter(|at| *at > now).unwrap_or(now);
        let next = full_at + interval;
        let ahead = next.saturating_duration_since(now);
        if ahead > window {
            return Err(ahead.saturating_sub(window));
        }
        if map.len() >= SWEEP_ABOVE && !map.contains_key(key) {
            map.retain(|_, at| *at > now);
        }
        map.insert(*key, next);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_the_rate() {
        let limiter = Limiter::new(Rate { per_second: 10, burst: 3 });
        let (a, b) = ([1; 32], [2; 32]);
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(&a, start), Ok(()));
        }
        let wait = limiter.take(&a, start).unwrap_err();
        assert_eq!(wait, Duration::from_millis(100));
        assert_eq!(limiter.take(&b, start), Ok(()), "another key has its own bucket");
        assert!(limiter.take(&a, start + Duration::from_millis(99)).is_err());
        assert_eq!(limiter.take(&a, start + Duration::from_millis(100)), Ok(()));
        assert!(limiter.take(&a, start + Duration::from_millis(100)).is_err());
        // A quiet second refills the bucket, to the burst and no more.
        let later = start + Duration::from_secs(2);
        for _ in 0..3 {
            assert_eq!(limiter.take(&a, later), Ok(()));
        }
        assert!(limiter.take(&a, later).is_err());
    }

    #[test]
    fn zero_is_no_limit_and_the_map_stays_small() {
        let off = Limiter::new(Rate { per_second: 0, burst: 0 });
        let now = Instant::now();
        assert!((0..10_000).all(|_| off.take(&[0; 32], now).is_ok()));
        let limiter = Limiter::new(Rate { per_second: 1000, burst: 1 });
        for n in 0..5000u32 {
            let mut key = [0; 32];
            key[..4].copy_from_slice(&n.to_le_bytes());
            let at = now + Duration::from_millis(u64::from(n));
            assert_eq!(limiter.take(&key, at), Ok(()));
        }
        let size = limiter.full_at.lock().unwrap().len();
        assert!(size <= SWEEP_ABOVE + 1, "{size}");
    }
}
