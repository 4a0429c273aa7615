// Checks a .vsix (a zip) without unzip: it holds exactly the files the
// extension needs, and its package.json is ours.
//
//     node tests/check-vsix.mjs usim-0.1.0.vsix

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

const EXPECTED = [
    "[Content_Types].xml",
    "extension.vsixmanifest",
    "extension/LICENSE.txt",
    "extension/language-configuration.json",
    "extension/out/extension.js",
    "extension/package.json",
    "extension/readme.md",
    "extension/syntaxes/usim.tmLanguage.json",
];

/** The entries of a zip archive, from its central directory: name → bytes. */
function unzip(zip) {
    const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    assert.ok(eocd >= 0, "a zip archive");
    const count = zip.readUInt16LE(eocd + 10);
    let at = zip.readUInt32LE(eocd + 16);
    const entries = new Map();
    for (let i = 0; i < count; i++) {
        assert.equal(zip.readUInt32LE(at), 0x02014b50, "a central directory entry");
        const method = zip.readUInt16LE(at + 10);
        const compressed = zip.readUInt32LE(at + 20);
        const nameLength = zip.readUInt16LE(at + 28);
        const extraLength = zip.readUInt16LE(at + 30);
        const commentLength = zip.readUInt16LE(at + 32);
        const local = zip.readUInt32LE(at + 42);
        const name = zip.toString("utf8", at + 46, at + 46 + nameLength);
        const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
        const data = zip.subarray(dataStart, dataStart + compressed);
        entries.set(name, method === 8 ? inflateRawSync(data) : data);
        at += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
}

const file = process.argv[2];
const entries = unzip(readFileSync(file));
assert.deepEqual([...entries.keys()].sort(), [...EXPECTED].sort(), `the files of ${file}`);
const pkg = JSON.parse(entries.get("extension/package.json").toString("utf8"));
assert.equal(pkg.name, "usim");
assert.equal(pkg.main, "./out/extension.js");
const grammar = JSON.parse(entries.get("extension/syntaxes/usim.tmLanguage.json").toString("utf8"));
assert.equal(grammar.scopeName, "source.usim");
const client = entries.get("extension/out/extension.js").toString("utf8");
assert.ok(client.includes("usim.server.path") && client.includes("lsp"), "the bundled client");
assert.ok(!client.includes('require("vscode-languageclient'), "vscode-languageclient is bundled, not required");
console.log(`${file}: ${entries.size} files, ${readFileSync(file).length} bytes`);
for (const [name, data] of entries) {
    console.log(`  ${String(data.length).padStart(8)}  ${name}`);
}
