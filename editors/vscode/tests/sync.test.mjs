// The grammar against the language's own sources: every reserved word of
// grammar/usim.pest is highlighted as one, the built-in functions are exactly
// those of stdlib/src/table.rs, and the shipped models tokenize cleanly.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { grammarPath, repoDir, tokenize } from "./textmate.mjs";

const pest = readFileSync(path.join(repoDir, "grammar", "usim.pest"), "utf8");
const table = readFileSync(path.join(repoDir, "stdlib", "src", "table.rs"), "utf8");
const grammarJson = JSON.parse(readFileSync(grammarPath, "utf8"));

/** The words of the pest rule `keyword`: the language's reserved words. */
function reservedWords() {
    const literal = new Map([...pest.matchAll(/^(kw_\w+)\s*=\s*@\{\s*"(\w+)"/gm)].map((m) => [m[1], m[2]]));
    const rule = pest.match(/^keyword\s*=\s*@\{([\s\S]*?)\}/m);
    assert.ok(rule, "grammar/usim.pest has a rule `keyword`");
    const words = rule[1].match(/kw_\w+/g).map((name) => {
        assert.ok(literal.has(name), `${name} is defined`);
        return literal.get(name);
    });
    assert.ok(words.length >= 30, `found ${words.length} reserved words`);
    return words;
}

/** The names in BUILTINS of stdlib/src/table.rs, in order. */
function tableBuiltins() {
    const start = table.indexOf("static BUILTINS");
    const end = table.indexOf("#[cfg(test)]");
    assert.ok(start >= 0 && end > start, "stdlib/src/table.rs has its BUILTINS table");
    return [...table.slice(start, end).matchAll(/name:\s*"(\w+)"/g)].map((m) => m[1]);
}

/** The words of `\b(?:a|b|c)\b...` in a grammar rule's `match`. */
function alternation(match) {
    const m = match.match(/\(\?:([\w|]+)\)/);
    assert.ok(m, `an alternation in ${match}`);
    return m[1].split("|");
}

test("every reserved word of grammar/usim.pest is highlighted as a keyword, in a body and at the top level", async () => {
    for (const word of reservedWords()) {
        for (const source of [word, `    x = ${word}`]) {
            const { tokens } = await tokenize(source);
            const token = tokens.find((t) => t.text === word);
            assert.ok(token, `${JSON.stringify(source)} has a token ${word}`);
            const kind = token.scopes.find((s) => /^(keyword|storage\.type|constant\.language)\./.test(s));
            assert.ok(kind, `${word} in ${JSON.stringify(source)}: ${token.scopes.join(" ")}`);
            assert.ok(!token.scopes.includes("variable.other.usim"), `${word} is not a name`);
        }
    }
});

test("the contextual words of the pest grammar (priority, proc) are not reserved", async () => {
    const reserved = new Set(reservedWords());
    for (const word of ["priority", "proc"]) {
        assert.ok(pest.includes(`kw_${word}`), `kw_${word} is in the pest grammar`);
        assert.ok(!reserved.has(word), `${word} is not reserved`);
        const { tokens } = await tokenize(`let y = ${word} + 1`);
        assert.deepEqual(tokens.find((t) => t.text === word).scopes, ["source.usim", "variable.other.usim"]);
    }
});

test("the built-in functions of the grammar are those of stdlib/src/table.rs", async () => {
    const builtins = tableBuiltins();
    assert.ok(builtins.includes("uniform") && builtins.includes("exponential"), builtins.join(" "));
    const rules = grammarJson.repository["builtin-call"].patterns;
    const inGrammar = alternation(rules.find((r) => r.name === "support.function.builtin.usim").match);
    assert.deepEqual([...inGrammar].sort(), [...builtins].sort());
    // delay and at are not in the table: the checker turns them into Delay and At.
    assert.deepEqual(alternation(rules.find((r) => r.name === "support.function.builtin.time.usim").match), ["delay", "at"]);
    for (const name of builtins) {
        const { tokens } = await tokenize(`    let v = ${name}(1.0, 2.0)`);
        assert.deepEqual(tokens.find((t) => t.text === name).scopes, ["source.usim", "support.function.builtin.usim"], name);
    }
});

test("the object methods of the grammar are those of the language guide", () => {
    const guide = readFileSync(path.join(repoDir, "docs", "language.md"), "utf8");
    const section = guide.slice(guide.indexOf("Method calls exist on objects and arrays only"));
    const methods = new Set([...section.slice(0, 400).matchAll(/\.(\w+)\(/g)].map((m) => m[1]));
    const rule = grammarJson.repository.member.patterns.find((r) => r.captures["2"].name === "support.function.method.usim");
    const inGrammar = rule.match.match(/\(((?:\w+\|)+\w+)\)/)[1].split("|");
    assert.deepEqual([...inGrammar].sort(), [...methods].sort());
});

test("every shipped model and test fixture tokenizes with nothing left open and no invalid token", async () => {
    const dirs = ["examples", path.join("tests", "fixtures")];
    const files = [];
    const walk = (dir) => {
        for (const entry of readdirSync(path.join(repoDir, dir), { withFileTypes: true })) {
            const rel = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(rel);
            } else if (entry.name.endsWith(".usim")) {
                files.push(rel);
            }
        }
    };
    dirs.forEach(walk);
    assert.ok(files.length > 20, `found ${files.length} models`);
    for (const file of files) {
        const { tokens, open } = await tokenize(readFileSync(path.join(repoDir, file), "utf8"));
        assert.equal(open, 0, `${file} ends inside a rule`);
        // Only the fixtures of the errors the grammar marks may have invalid tokens.
        if (!/e0002_(unknown_escape|unmatched_brace)/.test(file)) {
            const invalid = tokens.filter((t) => t.scopes.some((s) => s.startsWith("invalid.")));
            assert.deepEqual(invalid, [], file);
        }
    }
});
