//! The device's own values beside its ledger (device/link.rs, keys.rs):
//! the link, the place in the server's order, and the notes the writing tab
//! and the others leave each other.

use super::kv_error;
use crate::device::link::{Link, Place};
use crate::device::SyncedStore;
use crate::store::{KeyValue, StoreError};

impl<K: KeyValue> SyncedStore<K> {
    /// The device's link to its server, if it has one.
    pub fn link(&self) -> Result<Option<Link>, StoreError> {
        let key = self.inner.keys().link();
        match self.inner.kv().get(&key).map_err(kv_error)? {
            None => Ok(None),
            Some(text) => Link::read(&text).map(Some).map_err(|reason| StoreError::Corrupt { key, reason }),
        }
    }

    pub fn save_link(&mut self, link: &Link) -> Result<(), StoreError> {
        let key = self.inner.keys().link();
        self.inner.kv_mut().set(&key, &link.write()).map_err(kv_error)
    }

    /// Forgets the link (the device leaves its server).
    pub fn forget_link(&mut self) -> Result<(), StoreError> {
        let key = self.inner.keys().link();
        self.inner.kv_mut().remove(&key).map_err(kv_error)
    }

    /// A value of the sync client's own under `key` (one of `Keys`'s
    /// `sync/` keys: the status the writing tab shows, a request left for it).
    pub fn note(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self.inner.keys().is_sync(key) {
            true => self.inner.kv().get(key).map_err(kv_error),
            false => Ok(None),
        }
    }

    /// Writes (or with `None` removes) such a value.
    pub fn write_note(&mut self, key: &str, text: Option<&str>) -> Result<(), StoreError> {
        if !self.inner.keys().is_sync(key) {
            return Err(StoreError::Unavailable { reason: format!("{key} is not a sync key") });
        }
        let kv = self.inner.kv_mut();
        match text {
            Some(text) => kv.set(key, text),
            None => kv.remove(key),
        }
        .map_err(kv_error)
    }

    /// Where the device stands with its server (none before it synced).
    pub fn place(&self) -> Result<Place, StoreError> {
        let key = self.inner.keys().place();
        match self.inner.kv().get(&key).map_err(kv_error)? {
            None => Ok(Place::default()),
            Some(text) => Place::read(&text).map_err(|reason| StoreError::Corrupt { key, reason }),
        }
    }

    pub fn save_place(&mut self, place: &Place) -> Result<(), StoreError> {
        let key = self.inner.keys().place();
        self.inner.kv_mut().set(&key, &place.write()).map_err(kv_error)
    }

    pub fn forget_place(&mut self) -> Result<(), StoreError> {
        let key = self.inner.keys().place();
        self.inner.kv_mut().remove(&key).map_err(kv_error)
    }
}
