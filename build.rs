//! Generates the typed client from `spec/openapi.json` at build time.
//!
//! Steps, each a small function below:
//! 1. read and parse the OpenAPI 3.0.3 document written by `cargo xtask refresh-spec`;
//! 2. collect every string-enum component schema (inline enums were hoisted into
//!    components by the xtask) and tell progenitor to use an *open* enum for each; the same
//!    for every discriminated union (`oneOf` + `discriminator.mapping`, hoisted by the
//!    xtask too), which becomes a *tagged* union with a catch-all for unknown kinds;
//! 3. generate the client with progenitor (builder interface, hooks implemented by the crate,
//!    every type deriving `schemars::JsonSchema`);
//! 4. adjust the syntax tree with `syn`: insert the open enums and unions into `types`, make
//!    the operation builders' fields `pub(crate)`, make each builder's `send` return the
//!    crate's `Error` (progenitor's becomes the hidden `send_raw`: [`wrap_send`]) and drop the
//!    generated `Client::new` (the crate defines its own, configured one);
//! 5. generate the pagination wiring of every cursor-paginated operation from its builder
//!    (every query parameter the builder has is passed on every page), and the table of
//!    component types used by the conformance tests;
//! 6. format with `prettyplease` into `$OUT_DIR/codegen.rs`;
//! 7. write the spec's facts the fake and the CLI read (operations, parameters, body fields,
//!    unions: [`spec_tables`]) as JSON into `$OUT_DIR/spec_tables.json`, which
//!    `src/spec.rs` embeds.
//!
//! A schema name that cannot become a Rust type name is an error naming it, never a panic.
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
    let code = generate(&text)?;
    let tables = spec_tables(&text)?;
    let dir = std::env::var("OUT_DIR").map_err(|e| e.to_string())?;
    for (name, content) in [("codegen.rs", code), ("spec_tables.json", tables)] {
        let out = Path::new(&dir).join(name);
        std::fs::write(&out, content)
            .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    }
    Ok(())
}

/// The generated code for the spec `text`: the whole pipeline of the module docs, without
/// reading or writing a file (so `tests/it/codegen.rs` can run it on variations of the spec).
pub fn generate(text: &str) -> Result<String, String> {
    let raw: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let spec: openapiv3::OpenAPI = serde_json::from_value(raw.clone())
        .map_err(|e| format!("not an OpenAPI 3.0 document: {e}"))?;

    let names = type_names(&raw)?;
    let enums = string_enums(&raw)?;
    let unions = tagged_unions(&raw, &names)?;

    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        .with_hooks(HooksMode::Expected)
        .with_inner_type(quote!(crate::config::ClientState))
        .with_derive("schemars::JsonSchema");
    for name in enums.keys() {
        settings.with_replacement(
            &names[name],
            format!("{TYPES_PATH}::{}", names[name]),
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    for name in unions.keys() {
        settings.with_replacement(
            &names[name],
            format!("{TYPES_PATH}::{}", names[name]),
            std::iter::empty(),
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
    let mut inserted: Vec<syn::Item> = enums
        .iter()
        .map(|(n, v)| open_enum_item(&names[n], v))
        .collect();
    inserted.extend(enums.iter().map(|(n, v)| enum_schema_item(&names[n], v)));
    inserted.extend(unions.iter().map(|(n, u)| union_item(&names[n], u, &names)));
    let mut adjust = Adjust {
        open_enums: inserted,
        depth: Vec::new(),
        builders: BTreeMap::new(),
    };
    adjust.visit_file_mut(&mut file);
    if !adjust.open_enums.is_empty() {
        return Err("generated code has no `types` module".into());
    }

    file.items
        .push(paginate_module(&raw, &names, &adjust.builders)?);
    file.items.push(component_table_item(&names));
    file.items.push(open_enum_table_item(&names, &enums));

    Ok(prettyplease::unparse(&file))
}

fn panic_message(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
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
    let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    let idents = variant_idents(schema.values.iter().map(String::as_str), "Value");
    let values = &schema.values;
    let variants = idents
        .iter()
        .zip(values)
        .map(|(v, value)| quote!(#v = #value));
    let doc = if schema.doc.is_empty() {
        format!("`{name}`.")
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

/// The variant identifiers for `values` (wire values, in order): [`variant_name`] of each,
/// `Unknown` (the catch-all's name) suffixed with `unknown_suffix`, repeats numbered.
fn variant_idents<'a>(
    values: impl Iterator<Item = &'a str>,
    unknown_suffix: &str,
) -> Vec<syn::Ident> {
    let mut used = std::collections::BTreeSet::new();
    values
        .map(|value| {
            let mut v = variant_name(value);
            if v == "Unknown" {
                v.push_str(unknown_suffix);
            }
            let base = v.clone();
            let mut n = 2;
            while !used.insert(v.clone()) {
                v = format!("{base}{n}");
                n += 1;
            }
            syn::Ident::new(&v, proc_macro2::Span::call_site())
        })
        .collect()
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
    /// Items to insert into `types`.
    open_enums: Vec<syn::Item>,
    depth: Vec<String>,
    /// The operation builders as generated (name → struct), read by the pagination wiring.
    builders: BTreeMap<String, syn::ItemStruct>,
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
            self.builders.insert(s.ident.to_string(), s.clone());
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
        if self.depth == ["builder"] && i.trait_.is_none() {
            let builder = match &*i.self_ty {
                syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
                _ => None,
            };
            if let Some(fields) = builder
                .and_then(|b| self.builders.get(&b))
                .map(|s| &s.fields)
            {
                wrap_send(i, fields);
            }
        }
        syn::visit_mut::visit_item_impl_mut(self, i);
    }
}

/// Makes `send` of an operation builder return the crate's `Error`: progenitor's own `send`
/// becomes the hidden `send_raw`, and the new `send` refuses a parameter the builder could
/// not take (`page_size(0)`, a required one never set) with `Error::InvalidParameter` naming
/// it, then runs `send_raw` through `crate::call::run`, which hands back the error the
/// request hooks built where the failure was known.
fn wrap_send(i: &mut syn::ItemImpl, fields: &syn::Fields) {
    let Some(raw) = i.items.iter_mut().find_map(|item| match item {
        syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
        _ => None,
    }) else {
        return;
    };
    let Some(operation_id) = operation_id_of(&raw.block) else {
        return;
    };
    let syn::ReturnType::Type(_, ty) = &raw.sig.output else {
        return;
    };
    let Some(ok) = first_type_arg(ty, "Result").cloned() else {
        return;
    };
    let docs: Vec<syn::Attribute> = raw
        .attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect();
    raw.sig.ident = format_ident!("send_raw");
    raw.attrs = vec![syn::parse_quote! {
        /// progenitor's `send`, with its own error type: use `send`.
    }];
    raw.attrs.push(syn::parse_quote!(#[doc(hidden)]));
    let checks = fields
        .iter()
        .filter_map(|f| f.ident.as_ref())
        .filter(|f| *f != "client")
        .map(|field| {
            let name = field.to_string();
            quote! {
                if let Err(message) = &self.#field {
                    return Err(crate::Error::invalid_builder_field(#operation_id, #name, message));
                }
            }
        });
    i.items.push(syn::parse_quote! {
        #(#docs)*
        ///
        /// Errors are the crate's [`Error`](crate::Error), built where the failure is known.
        pub async fn send(self) -> Result<#ok, crate::Error> {
            #(#checks)*
            crate::call::run(self.send_raw()).await
        }
    });
}

/// The `operation_id` progenitor writes into the `OperationInfo` of a `send` body.
fn operation_id_of(block: &syn::Block) -> Option<String> {
    struct Find(Option<String>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_expr_struct(&mut self, e: &'ast syn::ExprStruct) {
            if e.path.is_ident("OperationInfo") {
                for field in &e.fields {
                    if let (syn::Member::Named(n), syn::Expr::Lit(l)) = (&field.member, &field.expr)
                        && n == "operation_id"
                        && let syn::Lit::Str(s) = &l.lit
                    {
                        self.0 = Some(s.value());
                    }
                }
            }
            syn::visit::visit_expr_struct(self, e);
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_block(&mut find, block);
    find.0
}

/// The Rust type name of every component schema, as typify names it (PascalCase of the
/// schema name, `-` and other separators dropped: `TranscriptModel-Input` →
/// `TranscriptModelInput`). A name that is no valid, unique Rust identifier is an error
/// naming the schema.
fn type_names(raw: &serde_json::Value) -> Result<BTreeMap<String, String>, String> {
    use heck::ToPascalCase;
    let mut out = BTreeMap::new();
    let mut taken: BTreeMap<String, String> = BTreeMap::new();
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(|s| s.as_object());
    for name in schemas.into_iter().flat_map(|s| s.keys()) {
        // typify's `sanitize(name, Case::Pascal)`.
        let cleaned: String = name
            .replace('\'', "")
            .chars()
            .map(|c| {
                if unicode_ident::is_xid_continue(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let rust = cleaned.to_pascal_case();
        let valid = rust.starts_with(|c: char| unicode_ident::is_xid_start(c))
            && syn::parse_str::<syn::Ident>(&rust).is_ok();
        if !valid {
            return Err(format!(
                "schema `{name}`: its Rust type name `{rust}` is not a valid identifier; rename it in the xtask's hoisting"
            ));
        }
        if let Some(other) = taken.insert(rust.clone(), name.clone()) {
            return Err(format!(
                "schemas `{other}` and `{name}` both become the Rust type `{rust}`"
            ));
        }
        out.insert(name.clone(), rust);
    }
    Ok(out)
}

/// A discriminated union: the tag property and (tag value, variant schema) pairs.
struct UnionSchema {
    doc: String,
    tag: String,
    variants: Vec<(String, String)>,
}

/// Every component schema that is `oneOf` + `discriminator` with a full `mapping` (the xtask
/// hoists and completes them): name → union.
fn tagged_unions(
    raw: &serde_json::Value,
    names: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, UnionSchema>, String> {
    let mut out = BTreeMap::new();
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(|s| s.as_object());
    for (name, schema) in schemas.into_iter().flatten() {
        let (Some(_), Some(d)) = (schema.get("oneOf"), schema.get("discriminator")) else {
            continue;
        };
        let tag = d
            .get("propertyName")
            .and_then(|p| p.as_str())
            .ok_or_else(|| format!("schema `{name}`: discriminator without propertyName"))?;
        let mapping = d
            .get("mapping")
            .and_then(|m| m.as_object())
            .ok_or_else(|| format!("schema `{name}`: discriminator without mapping"))?;
        let mut variants = Vec::new();
        for (value, target) in mapping {
            let target = target
                .as_str()
                .and_then(|t| t.strip_prefix("#/components/schemas/"))
                .filter(|t| names.contains_key(*t))
                .ok_or_else(|| {
                    format!("schema `{name}`: discriminator value `{value}` maps to {target}, not a component schema")
                })?;
            variants.push((value.clone(), target.to_owned()));
        }
        let doc = schema
            .get("description")
            .and_then(|d| d.as_str())
            .unwrap_or("")
            .to_owned();
        out.insert(
            name.clone(),
            UnionSchema {
                doc,
                tag: tag.to_owned(),
                variants,
            },
        );
    }
    Ok(out)
}

/// `impl JsonSchema` for an open enum: a string with the spec's values.
fn enum_schema_item(name: &str, schema: &EnumSchema) -> syn::Item {
    let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    let values = &schema.values;
    syn::parse_quote! {
        crate::json_schema::string_enum_schema!(#ident, [#(#values),*]);
    }
}

/// `crate::union::tagged_union! { ... }` for one union.
fn union_item(name: &str, schema: &UnionSchema, names: &BTreeMap<String, String>) -> syn::Item {
    let ident = syn::Ident::new(name, proc_macro2::Span::call_site());
    let tag = &schema.tag;
    let idents = variant_idents(schema.variants.iter().map(|(v, _)| v.as_str()), "Kind");
    let variants = idents
        .iter()
        .zip(&schema.variants)
        .map(|(v, (value, target))| {
            let ty = syn::Ident::new(&names[target], proc_macro2::Span::call_site());
            quote!(#v(#value) => #ty)
        });
    let doc = if schema.doc.is_empty() {
        format!("`{name}`: one of several kinds, told apart by `{tag}`.")
    } else {
        schema.doc.clone()
    };
    syn::parse_quote! {
        crate::union::tagged_union! {
            #[doc = #doc]
            pub enum #ident tag #tag { #(#variants),* }
        }
    }
}

/// `__for_each_component!(m)` calls `m! { "SchemaName" => Type, ... }` for every component
/// schema of the spec: the conformance tests derive their type table from it, so a schema
/// added by a refresh is covered without editing a test.
fn component_table_item(names: &BTreeMap<String, String>) -> syn::Item {
    table_macro_item("__for_each_component", "component schema", names.iter())
}

/// `__for_each_open_enum!(m)`: the same for every string enum (each an open enum).
fn open_enum_table_item(
    names: &BTreeMap<String, String>,
    enums: &BTreeMap<String, EnumSchema>,
) -> syn::Item {
    let rows = enums.keys().map(|schema| (schema, &names[schema]));
    table_macro_item("__for_each_open_enum", "string enum", rows)
}

/// A hidden exported macro `$name!(m)` calling `m! { "SchemaName" => Type, ... }` for `rows`
/// (schema name, Rust type name).
fn table_macro_item<'a>(
    name: &str,
    what: &str,
    rows: impl Iterator<Item = (&'a String, &'a String)>,
) -> syn::Item {
    let name = syn::Ident::new(name, proc_macro2::Span::call_site());
    let rows = rows.map(|(schema, rust)| {
        let ty = syn::Ident::new(rust, proc_macro2::Span::call_site());
        quote!(#schema => $crate::types::#ty)
    });
    let doc = format!(
        "Calls `$m! {{ \"SchemaName\" => Type, ... }}` for every {what} of the spec (for the \
         conformance tests; not part of the API)."
    );
    syn::parse_quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[macro_export]
        macro_rules! #name {
            ($m:ident) => { $m! { #(#rows),* } };
        }
    }
}

/// The first type argument of `ty` when it is `outer<T, ..>` (`Result`, `Option`).
fn first_type_arg<'a>(ty: &'a syn::Type, outer: &str) -> Option<&'a syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    if last.ident != outer {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

/// The component name a response or property schema refers to (`$ref`, or `allOf: [$ref]`).
fn ref_target(schema: &serde_json::Value) -> Option<&str> {
    schema
        .get("$ref")
        .or_else(|| schema.pointer("/allOf/0/$ref"))
        .and_then(|r| r.as_str())
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
}

/// A cursor-paginated operation: it takes a `cursor` query parameter and answers a page with
/// `has_more`, `next_cursor` and one array of items.
struct CursorOp {
    operation_id: String,
    page: String,
    items_field: String,
    item: String,
}

/// Every cursor-paginated operation of the spec.
fn cursor_operations(raw: &serde_json::Value) -> Result<Vec<CursorOp>, String> {
    let mut out = Vec::new();
    let schemas = raw.pointer("/components/schemas");
    let paths = raw.get("paths").and_then(|p| p.as_object());
    for item in paths.into_iter().flat_map(|p| p.values()) {
        for op in item.as_object().into_iter().flat_map(|i| i.values()) {
            let Some(id) = op.get("operationId").and_then(|i| i.as_str()) else {
                continue;
            };
            let has_cursor = op
                .get("parameters")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
                .any(|p| {
                    p.get("in") == Some(&"query".into()) && p.get("name") == Some(&"cursor".into())
                });
            let Some(page) = op
                .pointer("/responses/200/content/application~1json/schema")
                .and_then(ref_target)
            else {
                continue;
            };
            let Some(props) = schemas
                .and_then(|s| s.get(page))
                .and_then(|s| s.get("properties"))
                .and_then(|p| p.as_object())
            else {
                continue;
            };
            if !has_cursor || !props.contains_key("has_more") || !props.contains_key("next_cursor")
            {
                continue;
            }
            let arrays: Vec<(&String, &serde_json::Value)> = props
                .iter()
                .filter(|(_, p)| p.get("type").and_then(|t| t.as_str()) == Some("array"))
                .collect();
            let [(field, array)] = arrays.as_slice() else {
                return Err(format!(
                    "operation `{id}` looks cursor-paginated but its page `{page}` has {} array properties, not one",
                    arrays.len()
                ));
            };
            let item = array.get("items").and_then(ref_target).ok_or_else(|| {
                format!(
                    "operation `{id}`: the items of `{page}.{field}` are not a component schema"
                )
            })?;
            out.push(CursorOp {
                operation_id: id.to_owned(),
                page: page.to_owned(),
                items_field: (*field).clone(),
                item: item.to_owned(),
            });
        }
    }
    Ok(out)
}

/// The `paginate` module: for every cursor-paginated operation, `CursorPage` for its page,
/// a `{Op}Query` holding every parameter of its builder but the cursor, `CursorOperation`
/// (which sets each of them on every page's request) and `Paginate` for the builder.
fn paginate_module(
    raw: &serde_json::Value,
    names: &BTreeMap<String, String>,
    builders: &BTreeMap<String, syn::ItemStruct>,
) -> Result<syn::Item, String> {
    use heck::ToPascalCase;
    let mut items = Vec::new();
    for op in cursor_operations(raw)? {
        let builder_name = op.operation_id.to_pascal_case();
        let builder = builders.get(&builder_name).ok_or_else(|| {
            format!(
                "operation `{}`: no generated builder `{builder_name}`",
                op.operation_id
            )
        })?;
        let builder_ident = &builder.ident;
        let method = syn::Ident::new(&op.operation_id, proc_macro2::Span::call_site());
        let page = syn::Ident::new(&names[&op.page], proc_macro2::Span::call_site());
        let item = syn::Ident::new(&names[&op.item], proc_macro2::Span::call_site());
        let items_field = syn::Ident::new(&op.items_field, proc_macro2::Span::call_site());
        let query = format_ident!("{}Query", builder_name);
        let pages = format_ident!("{}Pages", builder_name);
        let stream = format_ident!("{}Items", builder_name);
        let op_id = &op.operation_id;

        let mut fields = Vec::new();
        let mut reads = Vec::new();
        let mut sets = Vec::new();
        let mut inits = Vec::new();
        for field in &builder.fields {
            let Some(ident) = &field.ident else { continue };
            if ident == "client" || ident == "cursor" {
                continue;
            }
            let ok = first_type_arg(&field.ty, "Result").ok_or_else(|| {
                format!("builder `{builder_name}`: field `{ident}` is not `Result<T, String>`")
            })?;
            fields.push(quote!(#ident: #ok));
            let name = ident.to_string();
            // Bounds are checked once, by the request hook, before the first page is sent.
            reads.push(quote! {
                let #ident = self.#ident
                    .map_err(|m| crate::Error::invalid_builder_field(#op_id, #name, &m))?;
            });
            inits.push(quote!(#ident));
            sets.push(if first_type_arg(ok, "Option").is_some() {
                quote! { if let Some(v) = &self.#ident { request = request.#ident(v.clone()); } }
            } else {
                quote! { request = request.#ident(self.#ident.clone()); }
            });
        }
        let doc_query = format!(
            "`{op_id}` with every parameter of its builder fixed (the cursor aside), as \
             [`Paginate`](crate::pagination::Paginate) reads it; every page's request sets each of them."
        );
        let doc_pages = format!("The pages of a `{op_id}` listing (`.pages()`).");
        let doc_items = format!("The items of a `{op_id}` listing (`.stream()`).");
        items.push(quote! {
            impl crate::pagination::CursorPage for super::types::#page {
                type Item = super::types::#item;
                fn has_more(&self) -> bool { self.has_more }
                fn next_cursor(&self) -> Option<&str> { self.next_cursor.as_deref() }
                fn into_items(self) -> Vec<Self::Item> { self.#items_field }
            }

            #[doc = #doc_query]
            #[derive(Clone, Debug)]
            pub struct #query {
                client: super::Client,
                #(#fields,)*
            }

            #[doc = #doc_pages]
            pub type #pages = crate::pagination::Pages<#query>;
            #[doc = #doc_items]
            pub type #stream = crate::pagination::Items<#query>;

            impl crate::pagination::CursorOperation for #query {
                type Page = super::types::#page;
                async fn fetch(
                    self: ::std::sync::Arc<Self>,
                    cursor: Option<String>,
                ) -> Result<Self::Page, crate::Error> {
                    let mut request = self.client.#method();
                    if let Some(cursor) = cursor {
                        request = request.cursor(cursor);
                    }
                    #(#sets)*
                    Ok(request.send().await?.into_inner())
                }
            }

            impl crate::pagination::Paginate for super::builder::#builder_ident<'_> {
                type Operation = #query;
                fn into_operation(self) -> Result<(#query, Option<String>), crate::Error> {
                    #(#reads)*
                    let cursor = self.cursor
                        .map_err(|m| crate::Error::invalid_builder_field(#op_id, "cursor", &m))?;
                    Ok((#query { client: self.client.clone(), #(#inits,)* }, cursor))
                }
            }
        });
    }
    Ok(syn::parse_quote! {
        /// The pagination wiring of every cursor-paginated operation, generated from its
        /// builder (see [`crate::pagination`]).
        pub mod paginate {
            #(#items)*
        }
    })
}

/// The facts of the spec `text` that the fake and the CLI read, as the JSON that
/// `elevenlabs_agent_tests::spec::Tables` deserialises (see `src/spec.rs` for the meaning of
/// each field): every operation (id, method, path template, path parameters, body schema),
/// every parameter with a bound, a default or enum values, every property of a component
/// object schema with a bound, an item count, a default, enum values or `nullable`, and every
/// discriminated union (tag property, tag value → schema).
///
/// `tests/codegen.rs` runs it on variations of the spec and feeds the result to the fake and
/// the CLI's argument parser: the same data they read from the committed spec.
pub fn spec_tables(text: &str) -> Result<String, String> {
    use serde_json::{Map, Value, json};
    let raw: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let empty = Map::new();
    let schemas = raw
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    // The enum values of a schema, through `$ref`, `allOf: [$ref]` and array `items`.
    let values_of = |schema: &Value| -> Option<Vec<Value>> {
        let schema = schema.get("items").unwrap_or(schema);
        let target = ref_target(schema).and_then(|t| schemas.get(t));
        target
            .unwrap_or(schema)
            .get("enum")
            .and_then(Value::as_array)
            .cloned()
    };
    // A bound as an integer (`50.0` is `50`); a bound that is no whole number is left out.
    let int = |schema: &Value, key: &str| -> Option<i64> {
        let n = schema.get(key)?.as_f64()?;
        (n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64)
    };
    let facts = |schema: &Value| -> Map<String, Value> {
        let mut out = Map::new();
        for (key, value) in [
            ("minimum", int(schema, "minimum").map(Value::from)),
            ("maximum", int(schema, "maximum").map(Value::from)),
            ("min_items", schema.get("minItems").cloned()),
            ("max_items", schema.get("maxItems").cloned()),
            ("default", schema.get("default").cloned()),
            ("values", values_of(schema).map(Value::Array)),
        ] {
            if let Some(value) = value {
                out.insert(key.to_owned(), value);
            }
        }
        if schema.get("nullable") == Some(&Value::Bool(true)) {
            out.insert("nullable".to_owned(), Value::Bool(true));
        }
        out
    };

    let mut operations = Vec::new();
    let mut parameters = Vec::new();
    let paths = raw
        .get("paths")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        for (method, op) in item {
            let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                continue;
            };
            let params = op.get("parameters").and_then(Value::as_array);
            let mut path_parameters = Vec::new();
            for param in params.into_iter().flatten() {
                let name = param.get("name").and_then(Value::as_str).unwrap_or("");
                let location = param.get("in").and_then(Value::as_str).unwrap_or("");
                if location == "path" {
                    path_parameters.push(name);
                }
                let mut row = facts(param.get("schema").unwrap_or(&Value::Null));
                if row.is_empty() {
                    continue;
                }
                row.insert("operation_id".to_owned(), json!(id));
                row.insert("name".to_owned(), json!(name));
                row.insert("location".to_owned(), json!(location));
                parameters.push(Value::Object(row));
            }
            let body = op
                .pointer("/requestBody/content/application~1json/schema")
                .and_then(ref_target);
            operations.push(json!({
                "id": id,
                "method": method.to_ascii_uppercase(),
                "path": path,
                "path_parameters": path_parameters,
                "body": body,
            }));
        }
    }

    let mut fields = Vec::new();
    let mut unions = Vec::new();
    for (name, schema) in schemas {
        let properties = schema.get("properties").and_then(Value::as_object);
        for (field, property) in properties.into_iter().flatten() {
            let mut row = facts(property);
            if row.is_empty() {
                continue;
            }
            row.insert("schema".to_owned(), json!(name));
            row.insert("field".to_owned(), json!(field));
            fields.push(Value::Object(row));
        }
        let discriminator = schema.get("discriminator");
        let tag = discriminator
            .and_then(|d| d.get("propertyName"))
            .and_then(Value::as_str);
        let mapping = discriminator
            .and_then(|d| d.get("mapping"))
            .and_then(Value::as_object);
        if let (Some(tag), Some(mapping)) = (tag, mapping) {
            let variants: Vec<Value> = mapping
                .iter()
                .map(|(value, target)| {
                    let target = target
                        .as_str()
                        .and_then(|t| t.strip_prefix("#/components/schemas/"));
                    json!({"tag": value, "schema": target})
                })
                .collect();
            unions.push(json!({"schema": name, "tag": tag, "variants": variants}));
        }
    }
    let tables = json!({
        "operations": operations,
        "parameters": parameters,
        "fields": fields,
        "unions": unions,
    });
    serde_json::to_string(&tables).map_err(|e| e.to_string())
}
