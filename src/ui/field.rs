//! A labelled text input with its error message beside it.

use leptos::prelude::*;

/// A text input, its label, and the error message it is described by.
#[component]
pub fn Field(
    /// Ties the `<label>` to the input, and names the error message.
    id: &'static str,
    /// The label: the input's accessible name.
    label: &'static str,
    /// What is typed.
    value: RwSignal<String>,
    /// Why what is typed can't be used; cleared by typing.
    error: RwSignal<Option<String>>,
    /// The on-screen keyboard to offer (`decimal` for amounts).
    #[prop(default = "text")]
    inputmode: &'static str,
    /// An example of what to type.
    #[prop(into, default = String::new())]
    placeholder: String,
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
