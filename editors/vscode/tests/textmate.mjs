// Loads syntaxes/usim.tmLanguage.json with vscode-textmate, the tokenizer VS
// Code itself uses, for the tests that check the grammar against the sources
// of the language.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const vsctm = require("vscode-textmate");
const oniguruma = require("vscode-oniguruma");

export const extensionDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const repoDir = path.resolve(extensionDir, "..", "..");
export const grammarPath = path.join(extensionDir, "syntaxes", "usim.tmLanguage.json");

let grammar;

export async function loadGrammar() {
    if (grammar === undefined) {
        const wasm = readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
        const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
            createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
            createOnigString: (text) => new oniguruma.OnigString(text),
        }));
        const registry = new vsctm.Registry({
            onigLib,
            loadGrammar: async (scopeName) =>
                scopeName === "source.usim" ? vsctm.parseRawGrammar(readFileSync(grammarPath, "utf8"), grammarPath) : null,
        });
        grammar = await registry.loadGrammar("source.usim");
    }
    return grammar;
}

/** The tokens of `text` (lines joined by \n): `{ text, scopes }`, blanks left out. */
export async function tokenize(text) {
    const g = await loadGrammar();
    let stack = vsctm.INITIAL;
    const tokens = [];
    for (const line of text.split("\n")) {
        const result = g.tokenizeLine(line, stack);
        for (const token of result.tokens) {
            const piece = line.slice(token.startIndex, token.endIndex);
            if (piece.trim() !== "") {
                tokens.push({ text: piece, scopes: token.scopes });
            }
        }
        stack = result.ruleStack;
    }
    return { tokens, open: stack.depth - 1 };
}
