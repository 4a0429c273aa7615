// src/findServer.ts, bundled by esbuild and run here: how the setting
// usim.server.path becomes the command `<path> lsp`, and what the user is told
// when there is no such binary.

import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { extensionDir } from "./textmate.mjs";

const require = createRequire(import.meta.url);
const esbuild = require("esbuild");

const tmp = mkdtempSync(path.join(os.tmpdir(), "usim-vscode-test-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const bundle = path.join(tmp, "findServer.cjs");
esbuild.buildSync({
    entryPoints: [path.join(extensionDir, "src", "findServer.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    outfile: bundle,
    logLevel: "silent",
});
const { findServer } = require(bundle);

function file(rel, mode) {
    const full = path.join(tmp, rel);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, "#!/bin/sh\n");
    chmodSync(full, mode);
    return full;
}

const first = path.join(tmp, "first");
const second = path.join(tmp, "second");
const plainUsimc = file("first/usimc", 0o644); // not executable: skipped on the PATH
const realUsimc = file("second/usimc", 0o755);
const home = path.join(tmp, "home");
const homeUsimc = file("home/.cargo/bin/usimc", 0o755);
const workspace = path.join(tmp, "ws");
const wsUsimc = file("ws/target/release/usimc", 0o755);
mkdirSync(path.join(tmp, "adir"));
const lookup = { path: [first, "", second].join(path.delimiter), home, platform: "linux" };

test("the default and a bare name are looked up on the PATH, skipping files that are not executable", () => {
    assert.deepEqual(findServer(undefined, lookup), { ok: true, command: realUsimc });
    assert.deepEqual(findServer("", lookup), { ok: true, command: realUsimc });
    assert.deepEqual(findServer("  usimc ", lookup), { ok: true, command: realUsimc });
    assert.deepEqual(findServer("usimc", { ...lookup, path: [second, first].join(path.delimiter) }), {
        ok: true,
        command: realUsimc,
    });
    assert.notEqual(plainUsimc, realUsimc);
});

test("a name not on the PATH is a clear error that names the setting", () => {
    for (const pathVar of [first, undefined, ""]) {
        const found = findServer("usimc", { ...lookup, path: pathVar, home: path.join(tmp, "empty-home") });
        assert.equal(found.ok, false);
        assert.match(found.message, /`usimc` was not found on the PATH or in ~\/\.cargo\/bin\./);
        assert.match(found.message, /`usim\.server\.path`/);
        assert.match(found.message, /cargo install --path \./);
    }
    assert.match(findServer("usimc-nightly", lookup).message, /`usimc-nightly` was not found on the PATH/);
});

test("a bare name not on the PATH is taken from ~/.cargo/bin, where cargo install puts it", () => {
    const cargoHome = path.join(tmp, "cargo-home");
    const installed = file("cargo-home/.cargo/bin/usimc", 0o755);
    assert.deepEqual(findServer("usimc", { ...lookup, path: first, home: cargoHome }), { ok: true, command: installed });
    // The PATH comes first.
    assert.deepEqual(findServer("usimc", { ...lookup, home: cargoHome }), { ok: true, command: realUsimc });
});

test("a path is taken as it is, with ~ for the home directory and relative to the workspace folder", () => {
    assert.deepEqual(findServer(realUsimc, lookup), { ok: true, command: realUsimc });
    assert.deepEqual(findServer("~/.cargo/bin/usimc", lookup), { ok: true, command: homeUsimc });
    assert.deepEqual(findServer("./target/release/usimc", { ...lookup, workspaceFolder: workspace }), {
        ok: true,
        command: wsUsimc,
    });
    assert.deepEqual(findServer("target/release/usimc", { ...lookup, workspaceFolder: workspace }), {
        ok: true,
        command: wsUsimc,
    });
    const noFolder = findServer("./target/release/usimc", lookup);
    assert.equal(noFolder.ok, false);
    assert.match(noFolder.message, /relative path `\.\/target\/release\/usimc`, and no folder is open/);
});

test("a path that is missing, a directory or not executable says which", () => {
    const missing = findServer(path.join(tmp, "nowhere", "usimc"), lookup);
    assert.equal(missing.ok, false);
    assert.match(missing.message, /nowhere\/usimc` \(the setting `usim\.server\.path`\) does not exist/);
    assert.match(findServer(path.join(tmp, "adir"), lookup).message, /is a directory, not the usimc binary/);
    assert.match(findServer(plainUsimc, lookup).message, /is not executable/);
});
