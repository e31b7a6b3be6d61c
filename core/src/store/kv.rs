//! The key-value map a [`super::KvStore`] keeps its records in: the
//! browser's localStorage in the app, [`MemoryKv`] in native tests.

use std::collections::BTreeMap;

/// The few operations localStorage offers. Values are text.
pub trait KeyValue {
    fn get(&self, key: &str) -> Result<Option<String>, KvError>;
    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError>;
    fn remove(&mut self, key: &str) -> Result<(), KvError>;
    /// Every key, in no particular order.
    fn keys(&self) -> Result<Vec<String>, KvError>;

    /// How much the map holds, counted as browsers count their quota: UTF-16
    /// code units of every key and value. The default reads everything.
    fn used_units(&mut self) -> Result<usize, KvError> {
        let mut used = 0;
        for key in self.keys()? {
            used += units(&key) + self.get(&key)?.map_or(0, |v| units(&v));
        }
        Ok(used)
    }

    /// The most the map may hold, in the same units, where known.
    fn quota_units(&self) -> Option<usize> {
        None
    }

    /// Drops any kept count of units used, so the next one reads everything:
    /// for when something else may have written.
    fn recount(&mut self) {}
}

/// The length of `text` in UTF-16 code units, as localStorage counts it.
pub fn units(text: &str) -> usize {
    text.encode_utf16().count()
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    /// The write would pass the storage quota; nothing was written.
    #[error("the storage quota is exceeded")]
    QuotaExceeded,
    #[error("storage is unavailable: {0}")]
    Unavailable(String),
}

/// An in-memory map that counts its size as localStorage does, in UTF-16
/// code units of keys plus values, and refuses writes past an optional quota.
#[derive(Clone, Debug, Default)]
pub struct MemoryKv {
    map: BTreeMap<String, String>,
    used_units: usize,
    quota_units: Option<usize>,
}

impl MemoryKv {
    pub fn new() -> MemoryKv {
        MemoryKv::default()
    }

    /// A map that refuses to hold more than `quota_units` UTF-16 units.
    pub fn with_quota(quota_units: usize) -> MemoryKv {
        MemoryKv { quota_units: Some(quota_units), ..MemoryKv::default() }
    }

    pub fn units_used(&self) -> usize {
        self.used_units
    }

    /// Every entry, sorted by key: for tests that check nothing changed.
    pub fn entries(&self) -> Vec<(String, String)> {
        self.map.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }
}

impl KeyValue for MemoryKv {
    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        Ok(self.map.get(key).cloned())
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError> {
        let old = self.map.get(key).map_or(0, |v| units(key) + units(v));
        let used = self.used_units - old + units(key) + units(value);
        if self.quota_units.is_some_and(|quota| used > quota) {
            return Err(KvError::QuotaExceeded);
        }
        self.map.insert(key.to_owned(), value.to_owned());
        self.used_units = used;
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), KvError> {
        if let Some(value) = self.map.remove(key) {
            self.used_units -= units(key) + units(&value);
        }
        Ok(())
    }

    fn keys(&self) -> Result<Vec<String>, KvError> {
        Ok(self.map.keys().cloned().collect())
    }

    fn used_units(&mut self) -> Result<usize, KvError> {
        Ok(self.used_units)
    }

    fn quota_units(&self) -> Option<usize> {
        self.quota_units
    }
}

/// A map shared by several stores, as one localStorage is shared by the tabs
/// of an origin; for tests of what one writer sees of another's writes.
impl<K: KeyValue> KeyValue for std::rc::Rc<std::cell::RefCell<K>> {
    fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        let kv = self.try_borrow().map_err(|_| KvError::Unavailable("the shared map is busy".into()))?;
        kv.get(key)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), KvError> {
        let mut kv = self.try_borrow_mut().map_err(|_| KvError::Unavailable("the shared map is busy".into()))?;
        kv.set(key, value)
    }

    fn remove(&mut self, key: &str) -> Result<(), KvError> {
        let mut kv = self.try_borrow_mut().map_err(|_| KvError::Unavailable("the shared map is busy".into()))?;
        kv.remove(key)
    }

    fn keys(&self) -> Result<Vec<String>, KvError> {
        let kv = self.try_borrow().map_err(|_| KvError::Unavailable("the shared map is busy".into()))?;
        kv.keys()
    }

    fn used_units(&mut self) -> Result<usize, KvError> {
        let mut kv = self.try_borrow_mut().map_err(|_| KvError::Unavailable("the shared map is busy".into()))?;
        kv.used_units()
    }

    fn quota_units(&self) -> Option<usize> {
        self.try_borrow().ok()?.quota_units()
    }

    fn recount(&mut self) {
        if let Ok(mut kv) = self.try_borrow_mut() {
            kv.recount();
        }
    }
}
