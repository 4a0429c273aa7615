// The bundled client (out/extension.js, as the .vsix ships it) activated by
// tests/client/harness.cjs with stand-ins for VS Code and for usimc: it starts
// exactly `<usim.server.path> lsp` over stdio, found on the PATH or by the
// setting, stops it on deactivate, and says once, clearly, when it cannot.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { extensionDir } from "./textmate.mjs";

const bundle = path.join(extensionDir, "out", "extension.js");
const harness = path.join(extensionDir, "tests", "client", "harness.cjs");
const fake = path.join(extensionDir, "tests", "client", "fake-usimc");
const old = path.join(extensionDir, "tests", "client", "old-usimc");
const tmp = mkdtempSync(path.join(os.tmpdir(), "usim-vscode-client-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Activates and deactivates the extension; what it showed and logged. */
function activate({ pathDirs = [], setting, log } = {}) {
    const env = { ...process.env, PATH: [...pathDirs, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) };
    delete env.USIM_SERVER_PATH;
    env.HOME = path.join(tmp, "home"); // no ~/.cargo/bin/usimc there
    if (setting !== undefined) env.USIM_SERVER_PATH = setting;
    if (log !== undefined) env.FAKE_USIMC_LOG = log;
    const stdout = execFileSync(process.execPath, [harness, bundle], { env, encoding: "utf8", timeout: 30_000, stdio: ["ignore", "pipe", "pipe"] });
    return JSON.parse(stdout.trim().split("\n").pop());
}

function logOf(file) {
    return readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line));
}

test("out/extension.js is built", () => {
    assert.ok(existsSync(bundle), "run `npm run build` first");
});

test("usimc on the PATH is started as `usimc lsp`, initialized, and shut down on deactivate", () => {
    const dir = path.join(tmp, "path-bin");
    execFileSync("mkdir", ["-p", dir]);
    symlinkSync(fake, path.join(dir, "usimc"));
    const log = path.join(tmp, "path.log");
    const result = activate({ pathDirs: [dir], log });
    assert.deepEqual(result.shown, []);
    assert.equal(result.subscriptions, 3, "the output channel, the restart command, the settings watcher");
    const entries = logOf(log);
    assert.deepEqual(entries[0], { argv: ["lsp"] });
    assert.deepEqual(entries.slice(1).map((e) => e.method), ["initialize", "initialized", "shutdown", "exit"]);
});

test("the setting usim.server.path names the binary", () => {
    const log = path.join(tmp, "setting.log");
    const result = activate({ setting: fake, log });
    assert.deepEqual(result.shown, []);
    assert.deepEqual(logOf(log)[0], { argv: ["lsp"] });
});

test("no usimc on the PATH: one error that says how to install it or set usim.server.path", () => {
    const result = activate();
    assert.equal(result.shown.length, 1, JSON.stringify(result.shown));
    const [{ message, items }] = result.shown;
    assert.match(message, /^usim: cannot start the language server: `usimc` was not found on the PATH or in ~\/\.cargo\/bin\./);
    assert.match(message, /set `usim\.server\.path`/);
    assert.deepEqual(items, ["Open Settings", "Show Output"]);
    assert.ok(result.output.includes(message), "the message is in the output channel too");
});

test("a usimc without `lsp`: one error, not the library's four, naming the exit code", () => {
    const result = activate({ setting: old });
    assert.equal(result.shown.length, 1, JSON.stringify(result.shown));
    assert.match(result.shown[0].message, /`.*old-usimc lsp` did not start: Server process exited with code 2\. Is this usimc new enough to have the `lsp` command\?/);
    assert.ok(result.output.some((line) => line.includes("unrecognized subcommand 'lsp'")), "its stderr is in the output channel");
});
