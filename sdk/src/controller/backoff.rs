//! Per-object exponential backoff of failed reconciles.
//!
//! Each object has its own failure count: the n-th consecutive failure waits
//! `DEFAULT_BACKOFF_BASE * 2^(n-1)`, capped at [`DEFAULT_BACKOFF_MAX`]. A success or a requeue-after forgets the
//! count, so the next failure starts again at [`DEFAULT_BACKOFF_BASE`] (controller-runtime's
//! per-item exponential failure rate limiter, 5 ms to 1000 s).
//!
//! ```
//! use std::time::Duration;
//! use kubesmith::controller::ErrorBackoff;
//!
//! let backoff = ErrorBackoff::default();
//! assert_eq!(backoff.next_delay(&"a"), Duration::from_millis(5));
//! assert_eq!(backoff.next_delay(&"a"), Duration::from_millis(10));
//! assert_eq!(backoff.next_delay(&"b"), Duration::from_millis(5));
//! backoff.forget(&"a");
//! assert_eq!(backoff.next_delay(&"a"), Duration::from_millis(5));
//! ```

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::Duration;

/// Delay after the first failure of an object.
pub const DEFAULT_BACKOFF_BASE: Duration = Duration::from_millis(5);
/// Longest delay between retries of one object.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(1000);

/// Failure counts per object and the delays they lead to.
#[derive(Debug)]
pub struct ErrorBackoff<Key> {
    base: Duration,
    max: Duration,
    failures: Mutex<HashMap<Key, u32>>,
}

impl<Key: Hash + Eq + Clone> Default for ErrorBackoff<Key> {
    fn default() -> Self {
        ErrorBackoff::new(DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX)
    }
}

impl<Key: Hash + Eq + Clone> ErrorBackoff<Key> {
    /// A backoff starting at `base`, doubling per failure up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        ErrorBackoff {
            base,
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Records a failure of `key` and returns how long to wait before retrying it.
    pub fn next_delay(&self, key: &Key) -> Duration {
        let mut failures = self.lock();
        let count = failures.entry(key.clone()).or_insert(0);
        let exponent = *count;
        *count = count.saturating_add(1);
        drop(failures);
        // 2^exponent overflows long after the cap is reached; saturate instead.
        let factor = 2u32.checked_pow(exponent).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.max)
    }

    /// Forgets the failures of `key` (after a success or a requeue-after).
    pub fn forget(&self, key: &Key) {
        self.lock().remove(key);
    }

    /// Forgets the failures of every key for which `keep` is false (objects that were deleted).
    pub fn retain(&self, keep: impl Fn(&Key) -> bool) {
        self.lock().retain(|key, _| keep(key));
    }

    /// How many consecutive failures `key` has had.
    pub fn failures(&self, key: &Key) -> u32 {
        self.lock().get(key).copied().unwrap_or(0)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Key, u32>> {
        self.failures
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_doubles_from_5ms_and_caps_at_1000s() {
        let backoff = ErrorBackoff::default();
        let delays: Vec<_> = (0..20).map(|_| backoff.next_delay(&1)).collect();
        assert_eq!(delays[0], Duration::from_millis(5));
        assert_eq!(delays[1], Duration::from_millis(10));
        assert_eq!(delays[10], Duration::from_millis(5 * 1024));
        assert_eq!(delays[19], DEFAULT_BACKOFF_MAX);
        for _ in 0..100 {
            assert_eq!(backoff.next_delay(&1), DEFAULT_BACKOFF_MAX);
        }
        assert_eq!(backoff.failures(&1), 120);
    }

    #[test]
    fn objects_back_off_independently_and_forget_resets() {
        let backoff = ErrorBackoff::default();
        backoff.next_delay(&"a");
        backoff.next_delay(&"a");
        assert_eq!(backoff.next_delay(&"b"), DEFAULT_BACKOFF_BASE);
        backoff.forget(&"a");
        assert_eq!(backoff.failures(&"a"), 0);
        assert_eq!(backoff.next_delay(&"a"), DEFAULT_BACKOFF_BASE);
        backoff.retain(|key| *key != "b");
        assert_eq!((backoff.failures(&"a"), backoff.failures(&"b")), (1, 0));
    }
}
