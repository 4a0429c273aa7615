//! `usimc lsp`, the language server, spoken to as an editor does: the real
//! binary, JSON-RPC with Content-Length framing over its stdin and stdout.
//! Every answer is checked exactly (ranges to the UTF-16 character, hover
//! text, completion labels), and so is the end: `shutdown`, `exit`, exit
//! code 0. `neovim_reports_the_diagnostics` runs Neovim headless against the
//! server (tests/nvim/lsp_client.lua).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use serde_json::{json, Value};

const USIMC: &str = env!("CARGO_BIN_EXE_usimc");
/// How long any one answer may take before the test fails (instead of hanging).
const PATIENCE: Duration = Duration::from_secs(60);
const URI: &str = "file:///work/model.usim";

/// A model with two errors: an unknown name after `é😀` on its line (7
/// bytes, 3 UTF-16 units) and a float stored in an int.
const BROKEN: &str = r#"// Jobs through a queue: é, 😀
param N: int = 3
struct Job { id: int, size: float }
queue q: Job(capacity: 2)
var done: int = 0

process worker() {
    for i in 0..N {
        let job = await q.get()
        print("é😀 {missing}")
        done = 1.5
    }
}

process source() {
    for i in 0..N {
        await q.put(Job { id: i, size: 1.0 })
    }
}

run worker(), source()
"#;

/// `BROKEN` with both errors fixed.
fn fixed() -> String {
    BROKEN.replace("{missing}", "{job.id}").replace("done = 1.5", "done += 1")
}

struct Server {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    /// Notifications read while waiting for something else.
    pending: Vec<Value>,
    next_id: i64,
}

impl Server {
    fn start(plant_panic: bool) -> Server {
        let mut command = Command::new(USIMC);
        command.arg("lsp").stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        if plant_panic {
            command.env("USIM_LSP_PLANT_PANIC", "1");
        } else {
            command.env_remove("USIM_LSP_PLANT_PANIC");
        }
        let mut child = command.spawn().expect("start usimc lsp");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        let mut server = Server { child, stdin, messages, pending: Vec::new(), next_id: 1 };
        let init = server.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
        let capabilities = &init["result"]["capabilities"];
        assert_eq!(capabilities["textDocumentSync"], 1, "{init}");
        assert_eq!(capabilities["hoverProvider"], true);
        assert_eq!(capabilities["definitionProvider"], true);
        assert_eq!(capabilities["documentSymbolProvider"], true);
        assert_eq!(capabilities["completionProvider"]["triggerCharacters"], json!(["."]));
        assert_eq!(capabilities["documentFormattingProvider"], true);
        assert_eq!(init["result"]["serverInfo"]["name"], "usimc");
        server.notify("initialized", json!({}));
        server
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.next();
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.pending.push(message);
        }
    }

    fn next(&mut self) -> Value {
        self.messages.recv_timeout(PATIENCE).expect("the server said nothing in time")
    }

    /// The params of the next notification of `method` (earlier ones read
    /// while waiting for a response count).
    fn notification(&mut self, method: &str) -> Value {
        if let Some(i) = self.pending.iter().position(|m| m["method"] == method) {
            return self.pending.remove(i)["params"].take();
        }
        loop {
            let message = self.next();
            if message["method"] == method {
                return message["params"].clone();
            }
            self.pending.push(message);
        }
    }

    fn diagnostics(&mut self) -> Vec<Value> {
        let params = self.notification("textDocument/publishDiagnostics");
        assert_eq!(params["uri"], URI);
        params["diagnostics"].as_array().unwrap().clone()
    }

    fn open(&mut self, text: &str) {
        let document = json!({ "uri": URI, "languageId": "usim", "version": 1, "text": text });
        self.notify("textDocument/didOpen", json!({ "textDocument": document }));
    }

    fn change(&mut self, version: i64, text: &str) {
        let params = json!({
            "textDocument": { "uri": URI, "version": version },
            "contentChanges": [{ "text": text }],
        });
        self.notify("textDocument/didChange", params);
    }

    fn at(&mut self, method: &str, line: u32, character: u32) -> Value {
        let params = json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": character } });
        self.request(method, params)
    }

    /// `shutdown`, `exit`, and the exit code.
    fn shut_down(mut self) -> i32 {
        let answer = self.request("shutdown", Value::Null);
        assert_eq!(answer["result"], Value::Null, "{answer}");
        self.notify("exit", Value::Null);
        drop(self.stdin);
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                let mut stderr = String::new();
                self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
                assert!(status.code() == Some(0) || stderr.is_empty(), "stderr: {stderr}");
                return status.code().unwrap_or(-1);
            }
            assert!(std::time::Instant::now() < deadline, "usimc lsp did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// One message: `Content-Length: N`, a blank line, N bytes of JSON.
fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(n) = line.strip_prefix("Content-Length: ") {
            length = n.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

fn range(start: (u32, u32), end: (u32, u32)) -> Value {
    json!({ "start": { "line": start.0, "character": start.1 }, "end": { "line": end.0, "character": end.1 } })
}

/// Each diagnostic as (code, range, severity, message).
fn summary(diagnostics: &[Value]) -> Vec<(String, Value, i64, String)> {
    diagnostics
        .iter()
        .map(|d| {
            assert_eq!(d["source"], "usimc");
            let message = d["message"].as_str().unwrap().to_string();
            (d["code"].as_str().unwrap().to_string(), d["range"].clone(), d["severity"].as_i64().unwrap(), message)
        })
        .collect()
}

fn hover_text(answer: &Value) -> &str {
    assert_eq!(answer["result"]["contents"]["kind"], "markdown", "{answer}");
    answer["result"]["contents"]["value"].as_str().unwrap()
}

#[test]
fn a_session_from_initialize_to_exit() {
    let mut server = Server::start(true);
    server.open(BROKEN);
    let diagnostics = server.diagnostics();
    assert_eq!(
        summary(&diagnostics),
        [
            (
                "E0105".to_string(),
                // `        print("é😀 {` is 20 UTF-16 units (23 bytes).
                range((9, 20), (9, 27)),
                1,
                "unknown name `missing`\nnot defined".to_string()
            ),
            (
                "E0201".to_string(),
                range((10, 15), (10, 18)),
                1,
                "expected an int, found a float\nexpected int\na float becomes an int only explicitly: `int(x)` truncates, `round(x)` rounds"
                    .to_string()
            ),
        ]
    );

    // Fixed: no diagnostics at all.
    server.change(2, &fixed());
    assert_eq!(server.diagnostics(), Vec::<Value>::new());

    // Broken again, by an unclosed call: a syntax error at the `print` on
    // the next line, with the `(` left open as related information.
    let unclosed = fixed().replace("await q.get()", "await q.get(");
    server.change(3, &unclosed);
    let raw = server.diagnostics();
    let diagnostics = summary(&raw);
    assert_eq!(
        diagnostics,
        [(
            "E0001".to_string(),
            range((9, 8), (9, 13)),
            1,
            "expected an expression or `)`, found `print`\nunexpected `print`".to_string()
        )]
    );
    let related = &raw[0]["relatedInformation"];
    assert_eq!(related[0]["location"]["uri"], URI);
    assert_eq!(related[0]["location"]["range"], range((8, 29), (8, 30)));
    assert_eq!(related[0]["message"], "`(` opened here");

    // Completion after `q.` while the text does not parse.
    let typing = fixed().replace("        await q.put(Job", "        q.\n        await q.put(Job");
    server.change(4, &typing);
    let _ = server.diagnostics();
    let completion = server.at("textDocument/completion", 16, 10);
    let labels: Vec<&str> =
        completion["result"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert_eq!(labels, ["put", "get", "len"], "{completion}");
    assert_eq!(completion["result"][1]["detail"], "await get() -> Job");

    server.change(5, &fixed());
    assert_eq!(server.diagnostics(), Vec::<Value>::new());

    // Hover: a global var, a param, a queue, a local, a built-in.
    assert_eq!(hover_text(&server.at("textDocument/hover", 10, 9)), "```usim\nvar done: int = 0\n```");
    assert_eq!(server.at("textDocument/hover", 10, 9)["result"]["range"], range((10, 8), (10, 12)));
    assert_eq!(hover_text(&server.at("textDocument/hover", 7, 16)), "```usim\nparam N: int = 3\n```");
    assert_eq!(hover_text(&server.at("textDocument/hover", 8, 24)), "```usim\nqueue q: Job(capacity: 2)\n```");
    assert_eq!(hover_text(&server.at("textDocument/hover", 9, 22)), "```usim\nlet job: Job\n```");
    assert_eq!(hover_text(&server.at("textDocument/hover", 9, 25)), "```usim\nJob.id: int\n```");
    assert_eq!(
        hover_text(&server.at("textDocument/hover", 16, 21)),
        "```usim\nstruct Job { id: int, size: float }\n```"
    );
    assert_eq!(hover_text(&server.at("textDocument/hover", 20, 5)), "```usim\nprocess worker()\n```");
    assert_eq!(server.at("textDocument/hover", 0, 3)["result"], Value::Null);

    // Definition: a local, a global, a process.
    let definition = |server: &mut Server, line, character| {
        let answer = server.at("textDocument/definition", line, character);
        assert_eq!(answer["result"]["uri"], URI, "{answer}");
        answer["result"]["range"].clone()
    };
    assert_eq!(definition(&mut server, 9, 21), range((8, 12), (8, 15)));
    assert_eq!(definition(&mut server, 10, 8), range((4, 4), (4, 8)));
    assert_eq!(definition(&mut server, 20, 15), range((14, 8), (14, 14)));
    assert_eq!(server.at("textDocument/definition", 0, 3)["result"], Value::Null);

    // Document symbols: the items in order, the fields under their struct.
    let symbols = server.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": URI } }));
    let symbols = symbols["result"].as_array().unwrap();
    let names: Vec<(&str, i64)> =
        symbols.iter().map(|s| (s["name"].as_str().unwrap(), s["kind"].as_i64().unwrap())).collect();
    // CONSTANT 14, STRUCT 23, OBJECT 19, VARIABLE 13, EVENT 24.
    assert_eq!(names, [("N", 14), ("Job", 23), ("q", 19), ("done", 13), ("worker", 24), ("source", 24), ("run", 24)]);
    assert_eq!(symbols[1]["children"][1]["name"], "size");
    assert_eq!(symbols[1]["children"][1]["detail"], "Job.size: float");
    assert_eq!(symbols[4]["range"], range((6, 0), (12, 1)));
    assert_eq!(symbols[4]["selectionRange"], range((6, 8), (6, 14)));

    // The planted panic: an InternalError and a log message, and the server
    // goes on answering.
    let answer = server.request("usim/panic", json!({}));
    assert_eq!(answer["error"]["code"], -32603, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("usimc lsp: internal error in usim/panic: the planted panic"), "{message}");
    let log = server.notification("window/logMessage");
    assert_eq!(log["type"], 1);
    assert!(log["message"].as_str().unwrap().contains("the server goes on"), "{log}");
    assert_eq!(hover_text(&server.at("textDocument/hover", 10, 9)), "```usim\nvar done: int = 0\n```");

    // Formatting: one edit over the whole text, in `usimc fmt`'s layout;
    // none for a text already formatted, or one that does not parse.
    let format = |server: &mut Server| {
        let options = json!({ "tabSize": 4, "insertSpaces": true });
        server.request("textDocument/formatting", json!({ "textDocument": { "uri": URI }, "options": options }))
    };
    server.change(6, "process main(){print(\"é {1+2}\")}\nrun main()\n");
    server.diagnostics();
    let answer = format(&mut server);
    assert_eq!(
        answer["result"],
        json!([{ "range": range((0, 0), (2, 0)), "newText": "process main() {\n    print(\"é {1+2}\")\n}\n\nrun main()\n" }]),
        "{answer}"
    );
    server.change(7, "process main() {\n    print(\"é {1+2}\")\n}\n\nrun main()\n");
    server.diagnostics();
    assert_eq!(format(&mut server)["result"], Value::Null);

    // Closing clears the diagnostics; an unknown method is an error.
    server.change(8, BROKEN);
    assert_eq!(server.diagnostics().len(), 2);
    server.notify("textDocument/didClose", json!({ "textDocument": { "uri": URI } }));
    assert_eq!(server.diagnostics(), Vec::<Value>::new());
    assert_eq!(
        server.request(
            "textDocument/formatting",
            json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 4, "insertSpaces": true } })
        )["result"],
        Value::Null,
        "a closed document has nothing to format"
    );
    assert_eq!(server.request("textDocument/rename", json!({}))["error"]["code"], -32601);

    assert_eq!(server.shut_down(), 0);
}

#[test]
fn the_planted_panic_needs_its_environment_variable() {
    let mut server = Server::start(false);
    let answer = server.request("usim/panic", json!({}));
    assert_eq!(answer["error"]["code"], -32601, "{answer}");
    assert_eq!(server.shut_down(), 0);
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let mut server = Server::start(false);
    server.notify("exit", Value::Null);
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
}

/// What the server publishes is what `usimc check` reports: `analyze`
/// gives `check_source`'s diagnostics for every model in the repository,
/// the fixtures (errors among them) and the examples.
#[test]
fn analyze_reports_what_check_source_reports() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut seen = 0;
    for dir in ["tests/fixtures/ok", "tests/fixtures/err", "tests/fixtures/runtime", "examples"] {
        let mut paths: Vec<_> =
            std::fs::read_dir(format!("{root}/{dir}")).unwrap().map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "usim")) {
            let Ok(source) = std::fs::read_to_string(&path) else { continue };
            let checked = match usim_compiler::check_source(&source, &[]) {
                Ok((_, warnings)) => warnings,
                Err(usim_compiler::Failure::Diagnostics(diagnostics)) => diagnostics,
                Err(other) => panic!("{}: {other:?}", path.display()),
            };
            assert_eq!(usim_compiler::analyze(&source).diagnostics, checked, "{}", path.display());
            seen += 1;
        }
    }
    assert!(seen > 300, "only {seen} models");
}

/// Neovim, headless, starts `usimc lsp` for a buffer of `BROKEN` and writes
/// the diagnostics it got (tests/nvim/lsp_client.lua). Its columns are byte
/// columns: Neovim converts the server's UTF-16 characters itself, so the
/// unknown name after `é😀` is at byte 23 of its line.
#[test]
fn neovim_reports_the_diagnostics() {
    // `USIM_NVIM` names another Neovim to run (a newer one), `nvim` by default.
    let nvim = std::env::var("USIM_NVIM").unwrap_or_else(|_| "nvim".to_string());
    let version = Command::new(&nvim).arg("--version").output().ok().filter(|v| v.status.success());
    let Some(version) = version else {
        if std::env::var("USIM_SKIP_NVIM").is_ok_and(|v| v == "1") {
            eprintln!("`{nvim}` is not installed: skipped (USIM_SKIP_NVIM=1)");
            return;
        }
        panic!(
            "`{nvim}` is not installed: install Neovim (`apt-get install -y neovim`) to run this test, \
             or set USIM_SKIP_NVIM=1 to skip it"
        );
    };
    let version = String::from_utf8_lossy(&version.stdout).lines().next().unwrap_or("").to_string();
    let dir = std::env::temp_dir().join(format!("usim-nvim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let model = dir.join("model.usim");
    let out = dir.join("diagnostics.txt");
    std::fs::write(&model, BROKEN).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/nvim/lsp_client.lua");
    let mut nvim = Command::new(&nvim)
        .args(["--headless", "--clean", "-u", "NONE", "-i", "NONE", "-n"])
        .arg("-c")
        .arg(format!("luafile {script}"))
        .env("USIMC", USIMC)
        .env("USIM_MODEL", &model)
        .env("USIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start nvim");
    let deadline = std::time::Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = nvim.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = nvim.kill();
            panic!("nvim did not finish in {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    nvim.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let reported = std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("{version}: no report ({e}); {stderr}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert!(status.success(), "{version}: nvim exited with {status}; {stderr}");
    assert_eq!(
        reported,
        "E0105 9 23 unknown name `missing` | not defined\n\
         E0201 10 15 expected an int, found a float | expected int | a float becomes an int only explicitly: \
         `int(x)` truncates, `round(x)` rounds\n\
         server exited 0\n",
        "{version}"
    );
}
