//! A labelled text input with its error message beside it.

use leptos::prelude::*;

/// `id` ties the `<label>` to the input (its accessible name is `label`) and
/// names the error message the input is described by.
#[component]
pub fn Field(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: RwSignal<Option<String>>,
    #[prop(default = "text")] inputmode: &'static str,
    #[prop(default = "")] placeholder: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input
                id=id
                type="text"
                inputmode=inputmode
                placeholder=placeholder
                autocomplete="off"
                prop:value=move || value.get()
                on:input=move |ev| {
                    value.set(event_target_value(&ev));
                    error.set(None);
                }
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id hidden=move || error.get().is_none()>
                {move || error.get()}
            </p>
        </div>
    }
}
