//! Generates the typed client from `spec/openapi.json` at build time.
//!
//! Steps, each a small function below:
//! 1. read and parse the OpenAPI 3.0.3 document written by `cargo xtask refresh-spec`;
//! 2. collect every string-enum component schema (inline enums were hoisted into
//!    components by the xtask) and tell progenitor to use an *open* enum for each;
//! 3. generate the client with progenitor (builder interface, hooks implemented by the crate);
//! 4. adjust the syntax tree with `syn`: insert the open enums into `types`, make the
//!    operation builders' fields `pub(crate)` (the pagination engine reads them) and drop
//!    the generated `Client::new` (the crate defines its own, configured one);
//! 5. format with `prettyplease` into `$OUT_DIR/codegen.rs`.
//!
//! No network access, no rustfmt.

use std::collections::BTreeMap;
use std::path::Path;

use progenitor::{GenerationSettings, Generator, HooksMode, InterfaceStyle, TagStyle, TypeImpl};
use quote::{format_ident, quote};
use syn::visit_mut::VisitMut;

const SPEC: &str = "spec/openapi.json";
/// Where the generated code is included (see `src/generated.rs`).
const TYPES_PATH: &str = "crate::generated::types";

fn main() {
    println!("cargo:rerun-if-changed={SPEC}");
    println!("cargo:rerun-if-changed=build.rs");
    if let Err(e) = run() {
        // A build script reports failure by exiting non-zero; the message names the
        // spec file and the reason.
        eprintln!("error: generating the client from {SPEC}: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let text = std::fs::read_to_string(SPEC).map_err(|e| format!("cannot read it: {e}"))?;
    let raw: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("not valid JSON: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(raw.clone())
        .map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;

    let enums = string_enums(&raw)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::config::ClientState));
    for name in enums.keys() {
        settings.with_replacement(
            name,
            format!("{TYPES_PATH}::{name}"),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }

    let mut generator = Generator::new(&settings);
    let tokens = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        generator.generate_tokens(&spec)
    }))
    .map_err(|p| format!("progenitor panicked: {}", panic_message(&p)))?
    .map_err(|e| format!("progenitor failed: {e}"))?;

    let mut file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let mut adjust = Adjust {
        open_enums: enums.iter().map(|(n, v)| open_enum_item(n, v)).collect(),
        depth: Vec::new(),
    };
    adjust.visit_file_mut(&mut file);
    if !adjust.open_enums.is_empty() {
        return Err("generated code has no `types` module".into());
    }

    file.items.push(param_bounds_item(&raw));

    let out = Path::new(&std::env::var("OUT_DIR").map_err(|e| e.to_string())?).join("codegen.rs");
    std::fs::write(&out, prettyplease::unparse(&file))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}

/// `PARAM_BOUNDS`: the `minimum`/`maximum` of every integer query parameter, by operation,
/// so the request hook can refuse an out-of-range value before anything is sent
/// (progenitor checks only what the Rust type enforces, e.g. `NonZeroU64`).
fn param_bounds_item(raw: &serde_json::Value) -> syn::Item {
    let mut rows = Vec::new();
    let paths = raw.get("paths").and_then(|p| p.as_object());
    for item in paths.into_iter().flat_map(|p| p.values()) {
        let Some(item) = item.as_object() else {
            continue;
        };
        for op in item.values() {
            let Some(id) = op.get("operationId").and_then(|i| i.as_str()) else {
                continue;
            };
            let params = op.get("parameters").and_then(|p| p.as_array());
            for param in params.into_iter().flatten() {
                let name = param.get("name").and_then(|n| n.as_str()).unwrap_or("");
                let schema = param.get("schema");
                let bound = |k: &str| schema.and_then(|s| s.get(k)).and_then(|v| v.as_i64());
                let (min, max) = (bound("minimum"), bound("maximum"));
                if min.is_none() && max.is_none() {
                    continue;
                }
                let (min, max) = (opt_tokens(min), opt_tokens(max));
                rows.push(quote!(crate::generated::ParamBounds {
                    operation_id: #id, name: #name, minimum: #min, maximum: #max
                }));
            }
        }
    }
    syn::parse_quote! {
        /// Numeric bounds of query parameters, from the spec.
        pub(crate) const PARAM_BOUNDS: &[crate::generated::ParamBounds] = &[#(#rows),*];
    }
}

fn opt_tokens(v: Option<i64>) -> proc_macro2::TokenStream {
    match v {
        Some(v) => quote!(Some(#v)),
        None => quote!(None),
    }
}

/// Every component schema that is a string enum: name → (description, values).
fn string_enums(raw: &serde_json::Value) -> Result<BTreeMap<String, EnumSchema>, String> {
    let mut out = BTreeMap::new();
    let Some(schemas) = raw
        .pointer("/components/schemas")
        .and_then(|s| s.as_object())
    else {
        return Ok(out);
    };
    for (name, schema) in schemas {
        let Some(values) = schema.get("enum").and_then(|e| e.as_array()) else {
            continue;
        };
        if schema.get("type").and_then(|t| t.as_str()) != Some("string") {
            continue;
        }
        let values = values
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("schema {name}: enum value {v} is not a string"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let doc = schema
            .get("description")
            .or_else(|| schema.get("title"))
            .and_then(|d| d.as_str())
            .unwrap_or("")
            .to_owned();
        out.insert(name.clone(), EnumSchema { doc, values });
    }
    Ok(out)
}

struct EnumSchema {
    doc: String,
    values: Vec<String>,
}

/// `crate::open_enum::open_enum! { ... }` for one schema: known values become variants,
/// anything else `Unknown(String)`.
fn open_enum_item(name: &str, schema: &EnumSchema) -> syn::Item {
    let ident = format_ident!("{}", name);
    let mut used = std::collections::BTreeSet::new();
    let variants = schema.values.iter().map(|value| {
        let mut v = variant_name(value);
        if v == "Unknown" {
            v.push_str("Value");
        }
        let base = v.clone();
        let mut n = 2;
        while !used.insert(v.clone()) {
            v = format!("{base}{n}");
            n += 1;
        }
        let v = format_ident!("{}", v);
        quote!(#v = #value)
    });
    let doc = if schema.doc.is_empty() {
        format!("`{name}`, an open enum: unknown values are kept as `Unknown`.")
    } else {
        schema.doc.clone()
    };
    syn::parse_quote! {
        crate::open_enum::open_enum! {
            #[doc = #doc]
            pub enum #ident { #(#variants),* }
        }
    }
}

/// `workspace_admin` → `WorkspaceAdmin`; anything that is not an identifier gets one.
fn variant_name(value: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            if upper {
                out.extend(c.to_uppercase());
            } else {
                out.push(c);
            }
            upper = false;
        } else {
            upper = true;
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// The syntax-tree adjustments described in the module docs.
struct Adjust {
    open_enums: Vec<syn::Item>,
    depth: Vec<String>,
}

impl VisitMut for Adjust {
    fn visit_item_mod_mut(&mut self, m: &mut syn::ItemMod) {
        self.depth.push(m.ident.to_string());
        if let (true, Some((_, items))) = (self.depth == ["types"], &mut m.content) {
            items.append(&mut self.open_enums);
        }
        syn::visit_mut::visit_item_mod_mut(self, m);
        self.depth.pop();
    }

    fn visit_item_struct_mut(&mut self, s: &mut syn::ItemStruct) {
        // Operation builders live in the top-level `builder` module.
        if self.depth == ["builder"] {
            for field in s.fields.iter_mut() {
                field.vis = syn::parse_quote!(pub(crate));
            }
        }
    }

    fn visit_item_impl_mut(&mut self, i: &mut syn::ItemImpl) {
        let is_client = i.trait_.is_none()
            && self.depth.is_empty()
            && matches!(&*i.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"));
        if is_client {
            i.items
                .retain(|item| !matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        }
        syn::visit_mut::visit_item_impl_mut(self, i);
    }
}
