//! The usim language server, `usimc lsp`: a Language Server Protocol server
//! over stdio for editors (docs/editors.md).
//!
//! It runs the compiler's own stages on each open document: on every open
//! and change, `usim_compiler::analyze` (the parser and the checker, exactly
//! the diagnostics `usimc check` reports, plus the checker's name index), and
//! answers from that: diagnostics, hover, go to definition, completion and
//! document symbols. Documents are synced whole (`TextDocumentSyncKind::FULL`);
//! positions are UTF-16 code units (`line_index`).
//!
//! Every request and notification is handled under `catch_unwind`: a panic
//! in a handler (a bug) answers the request with an `InternalError`, tells
//! the user through `window/logMessage`, and the server goes on.
//!
//! **Test-only method:** with the environment variable
//! `USIM_LSP_PLANT_PANIC=1` set when the server starts, the request
//! `usim/panic` panics inside its handler, so that tests can see a panic
//! answered and survived (`tests/lsp.rs`). Without it `usim/panic` is an
//! unknown method like any other.

mod completion;
mod diagnostics;
mod document;
mod hover;
pub mod line_index;
mod symbols;

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, LogMessage, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{Completion, DocumentSymbolRequest, Formatting, GotoDefinition, HoverRequest, Request as _};
use lsp_types::{
    CompletionOptions, LogMessageParams, MessageType, OneOf, PositionEncodingKind, PublishDiagnosticsParams,
    ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind, Uri,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

use document::Document;

/// The test-only request that panics in its handler (see the crate docs).
pub const PLANTED_PANIC_METHOD: &str = "usim/panic";
/// The environment variable that enables [`PLANTED_PANIC_METHOD`].
pub const PLANTED_PANIC_ENV: &str = "USIM_LSP_PLANT_PANIC";

/// How a server behaves beyond the protocol.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Whether `usim/panic` panics (a test-only method).
    pub plant_panic: bool,
}

/// Serves one client over stdin and stdout until it sends `exit`. `Ok` after
/// `shutdown` then `exit`; an error for a broken connection or an `exit`
/// without `shutdown`. The compiler runs on the calling thread, whose stack
/// must be as large as `usimc` gives its compiler (deeply nested models make
/// the checker recurse deeply).
pub fn run_stdio() -> Result<(), String> {
    let options = Options { plant_panic: std::env::var(PLANTED_PANIC_ENV).is_ok_and(|v| v == "1") };
    let (connection, io_threads) = Connection::stdio();
    let served = serve(&connection, options);
    // The writer thread ends, after writing what is queued, once every sender is gone.
    drop(connection);
    let joined = io_threads.join().map_err(|e| format!("usimc lsp: {e}"));
    served.and(joined)
}

/// Serves one client on a connection: the handshake, then messages until
/// `shutdown` and `exit`.
pub fn serve(connection: &Connection, options: Options) -> Result<(), String> {
    let capabilities = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    let (id, _params) = connection.initialize_start().map_err(|e| format!("usimc lsp: {e}"))?;
    let result = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": { "name": "usimc", "version": env!("CARGO_PKG_VERSION") },
    });
    connection.initialize_finish(id, result).map_err(|e| format!("usimc lsp: {e}"))?;
    let mut server = Server { documents: HashMap::new(), options, outbox: Vec::new() };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).map_err(|e| format!("usimc lsp: {e}"))? {
                    return Ok(());
                }
                let response = server.answer(request);
                server.outbox.push(response.into());
            }
            Message::Notification(notification) => {
                if notification.method == lsp_types::notification::Exit::METHOD {
                    return Err("usimc lsp: `exit` before `shutdown`".to_string());
                }
                server.notice(notification);
            }
            Message::Response(_) => {}
        }
        for message in server.outbox.drain(..) {
            connection.sender.send(message).map_err(|e| format!("usimc lsp: {e}"))?;
        }
    }
    Err("usimc lsp: the client closed the connection without `exit`".to_string())
}

/// What the server can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        ..ServerCapabilities::default()
    }
}

struct Server {
    /// The open documents, by URI.
    documents: HashMap<String, Document>,
    options: Options,
    /// Messages to send once the current one is handled.
    outbox: Vec<Message>,
}

/// A handler's failure, answered as an error response.
struct Failed(ErrorCode, String);

impl Server {
    /// Answers a request; a panic in its handler is an `InternalError`.
    fn answer(&mut self, request: Request) -> Response {
        let (id, method) = (request.id.clone(), request.method.clone());
        match catch_unwind(AssertUnwindSafe(|| self.request(request))) {
            Ok(Ok(result)) => Response::new_ok(id, result),
            Ok(Err(Failed(code, message))) => Response::new_err(id, code as i32, message),
            Err(panic) => {
                let message = format!("usimc lsp: internal error in {method}: {}", panic_text(&panic));
                self.log(MessageType::ERROR, format!("{message} (this is a bug in usimc; the server goes on)"));
                Response::new_err(id, ErrorCode::InternalError as i32, message)
            }
        }
    }

    /// Handles a notification; a panic in its handler is logged.
    fn notice(&mut self, notification: Notification) {
        let method = notification.method.clone();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| self.notification(notification))) {
            let message = format!("usimc lsp: internal error in {method}: {}", panic_text(&panic));
            self.log(MessageType::ERROR, format!("{message} (this is a bug in usimc; the server goes on)"));
        }
    }

    fn request(&mut self, request: Request) -> Result<serde_json::Value, Failed> {
        let Request { id, method, params } = request;
        match method.as_str() {
            HoverRequest::METHOD => respond(params, |p: lsp_types::HoverParams| {
                let at = &p.text_document_position_params;
                self.document(&at.text_document.uri).and_then(|d| hover::hover(d, at.position))
            }),
            GotoDefinition::METHOD => respond(params, |p: lsp_types::GotoDefinitionParams| {
                let at = &p.text_document_position_params;
                let uri = &at.text_document.uri;
                self.document(uri).and_then(|d| hover::definition(d, uri, at.position))
            }),
            Completion::METHOD => respond(params, |p: lsp_types::CompletionParams| {
                let at = &p.text_document_position;
                self.document(&at.text_document.uri)
                    .map(|d| lsp_types::CompletionResponse::Array(completion::complete(d, at.position)))
            }),
            DocumentSymbolRequest::METHOD => respond(params, |p: lsp_types::DocumentSymbolParams| {
                self.document(&p.text_document.uri)
                    .map(|d| lsp_types::DocumentSymbolResponse::Nested(symbols::document_symbols(d)))
            }),
            // `usimc fmt`'s layout, as one edit over the whole text; none
            // when it is formatted already or does not parse (the
            // diagnostics show why). A formatter that would change the
            // model (a bug) answers an error and edits nothing.
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = serde_json::from_value(params)
                    .map_err(|e| Failed(ErrorCode::InvalidParams, format!("usimc lsp: bad parameters: {e}")))?;
                let Some(document) = self.document(&p.text_document.uri) else { return Ok(serde_json::Value::Null) };
                let edits = match usim_fmt::format_source(&document.text) {
                    Ok(formatted) => document.replace_all(formatted),
                    Err(usim_fmt::FormatError::Syntax(_)) => None,
                    Err(usim_fmt::FormatError::Internal(m)) => {
                        return Err(Failed(ErrorCode::InternalError, format!("usimc lsp: {m}")))
                    }
                };
                serde_json::to_value(edits)
                    .map_err(|e| Failed(ErrorCode::InternalError, format!("usimc lsp: cannot encode the answer: {e}")))
            }
            PLANTED_PANIC_METHOD if self.options.plant_panic => {
                panic!("the planted panic of {PLANTED_PANIC_METHOD} (request {id})")
            }
            _ => Err(Failed(ErrorCode::MethodNotFound, format!("usimc lsp: unknown method {method}"))),
        }
    }

    fn notification(&mut self, notification: Notification) {
        match notification.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(notification.params) else {
                    return;
                };
                let d = p.text_document;
                let document = Document::new(d.text, d.version);
                self.publish(&d.uri, &document);
                self.documents.insert(d.uri.as_str().to_string(), document);
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(notification.params)
                else {
                    return;
                };
                let uri = p.text_document.uri;
                let Some(mut document) = self.documents.remove(uri.as_str()) else { return };
                document.change(p.content_changes, p.text_document.version);
                self.publish(&uri, &document);
                self.documents.insert(uri.as_str().to_string(), document);
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(notification.params) else {
                    return;
                };
                let uri = p.text_document.uri;
                self.documents.remove(uri.as_str());
                let cleared = PublishDiagnosticsParams { uri, diagnostics: Vec::new(), version: None };
                self.notify::<PublishDiagnostics>(cleared);
            }
            _ => {}
        }
    }

    fn document(&self, uri: &Uri) -> Option<&Document> {
        self.documents.get(uri.as_str())
    }

    fn publish(&mut self, uri: &Uri, document: &Document) {
        let diagnostics = diagnostics::to_lsp(document, uri);
        self.notify::<PublishDiagnostics>(PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version: Some(document.version),
        });
    }

    fn log(&mut self, typ: MessageType, message: String) {
        self.notify::<LogMessage>(LogMessageParams { typ, message });
    }

    fn notify<N: lsp_types::notification::Notification>(&mut self, params: N::Params) {
        self.outbox.push(Notification::new(N::METHOD.to_string(), params).into());
    }
}

/// Decodes a request's parameters and encodes its handler's answer.
fn respond<P: DeserializeOwned, R: Serialize>(
    params: serde_json::Value,
    handle: impl FnOnce(P) -> Option<R>,
) -> Result<serde_json::Value, Failed> {
    let params = serde_json::from_value(params)
        .map_err(|e| Failed(ErrorCode::InvalidParams, format!("usimc lsp: bad parameters: {e}")))?;
    serde_json::to_value(handle(params))
        .map_err(|e| Failed(ErrorCode::InternalError, format!("usimc lsp: cannot encode the answer: {e}")))
}

/// The message of a panic's payload.
fn panic_text(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic".to_string()
    }
}
