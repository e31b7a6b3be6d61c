//! Saving text as a file, the browser's way: a Blob behind a temporary link.

use wasm_bindgen::{JsCast, JsValue};

/// Offers `text` for download as `name`. Returns why not, if the browser
/// refuses.
pub fn download(name: &str, mime: &str, text: &str) -> Result<(), String> {
    let fail = |e: JsValue| format!("the browser refused the download: {e:?}");
    let document = web_sys::window().and_then(|w| w.document()).ok_or("there is no document")?;
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(fail)?.unchecked_into();
    link.set_href(&url);
    link.set_download(name);
    // Firefox (and older Safari) only follow a link that is in the document,
    // and may still be reading the blob after `click()` returns: the link is
    // attached for the click, and the URL revoked a minute later.
    let body = document.body().ok_or("the page has no body")?;
    body.append_child(&link).map_err(fail)?;
    link.click();
    link.remove();
    let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
    Ok(())
}

/// `2026-11-26` for file names, from the ledger's clock.
pub fn today() -> String {
    let now = js_sys::Date::now() as u64;
    crate::utc(crate::Timestamp(now)).chars().take(10).collect()
}
