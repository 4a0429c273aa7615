// language-configuration.json and package.json: the regular expressions VS
// Code will compile, and the contributions the client relies on.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { extensionDir } from "./textmate.mjs";

const config = JSON.parse(readFileSync(path.join(extensionDir, "language-configuration.json"), "utf8"));
const pkg = JSON.parse(readFileSync(path.join(extensionDir, "package.json"), "utf8"));

test("comments toggle with // and /* */", () => {
    assert.equal(config.comments.lineComment, "//");
    assert.deepEqual(config.comments.blockComment, ["/*", "*/"]);
});

test("a line that opens a bracket indents the next, a line that starts with a closer outdents", () => {
    const increase = new RegExp(config.indentationRules.increaseIndentPattern);
    const decrease = new RegExp(config.indentationRules.decreaseIndentPattern);
    for (const line of ["process p() {", "    if x > 0 {", "    } else {", "select {", "    with teller => {", "fn f(", "let xs = [", "struct S {  // fields"]) {
        assert.ok(increase.test(line), `indents after ${JSON.stringify(line)}`);
    }
    for (const line of ["    print(\"{now}: {n}\")", "x = f(a, b)", "// a comment {", "struct S { a: int }", "let s = \"{\""]) {
        assert.ok(!increase.test(line), `does not indent after ${JSON.stringify(line)}`);
    }
    for (const line of ["}", "    }", "    } else {", ")", "]"]) {
        assert.ok(decrease.test(line), `outdents ${JSON.stringify(line)}`);
    }
    assert.ok(!decrease.test("    x = 1"));
});

test("a word is a name or a whole number, digit separators and exponents included", () => {
    const word = new RegExp(`^(?:${config.wordPattern})$`);
    for (const w of ["now", "_x1", "CUSTOMERS", "1_000", "3.5", "1e-3", "1_000.5E+10"]) {
        assert.ok(word.test(w), w);
    }
    for (const w of ["a.b", "x+y", "1.", "-3"]) {
        assert.ok(!word.test(w), w);
    }
});

test("package.json contributes the language, the grammar and both settings", () => {
    const [language] = pkg.contributes.languages;
    assert.equal(language.id, "usim");
    assert.deepEqual(language.extensions, [".usim"]);
    const [grammar] = pkg.contributes.grammars;
    assert.equal(grammar.scopeName, "source.usim");
    const grammarJson = JSON.parse(readFileSync(path.join(extensionDir, grammar.path), "utf8"));
    assert.equal(grammarJson.scopeName, grammar.scopeName);
    const settings = pkg.contributes.configuration.properties;
    assert.equal(settings["usim.server.path"].default, "usimc");
    assert.deepEqual(settings["usim.trace.server"].enum, ["off", "messages", "verbose"]);
    assert.equal(pkg.engines.vscode, "^1.85.0");
    assert.equal(pkg.devDependencies["@types/vscode"], "1.85.0");
    for (const [name, version] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
        assert.match(version, /^\d+\.\d+\.\d+$/, `${name} is pinned`);
    }
});
