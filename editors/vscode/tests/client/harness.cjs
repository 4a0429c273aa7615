// Activates the bundled extension (out/extension.js) outside VS Code, with a
// stand-in for the `vscode` module: enough of the API for the client to start a
// server, everything else an inert Proxy. Prints, as JSON on its last line,
// the error notifications shown and the lines written to the output channel.
//
//     node harness.cjs EXTENSION_JS     (env: USIM_SERVER_PATH, the setting)

"use strict";
const Module = require("module");

const shown = [];
const output = [];
const uncaught = [];
// vscode-languageclient 9.0.1 leaves a rejected stop() and a write to the
// dead server's stdin behind when a server exits during initialize; VS Code
// logs those, so the harness only records them.
process.on("uncaughtException", (error) => uncaught.push(String(error && error.message)));
process.on("unhandledRejection", (error) => uncaught.push(String(error && error.message)));

const inert = {
    get: (target, key) => (key in target ? target[key] : new Proxy(function () {}, inert)),
    apply: () => new Proxy(function () {}, inert),
    construct: () => new Proxy(function () {}, inert),
};
const channel = {
    name: "usim Language Server",
    append: (text) => output.push(text),
    appendLine: (text) => output.push(text),
    replace() {},
    clear() {},
    show() {},
    hide() {},
    dispose() {},
};
const vscode = new Proxy(
    {
        version: "1.85.0",
        window: new Proxy(
            {
                createOutputChannel: () => channel,
                showErrorMessage: async (message, ...items) => {
                    shown.push({ message, items });
                    return undefined;
                },
            },
            inert,
        ),
        commands: new Proxy(
            { registerCommand: () => ({ dispose() {} }), executeCommand: async () => undefined },
            inert,
        ),
        workspace: new Proxy(
            {
                getConfiguration: () => ({
                    get: (key, fallback) => (key === "usim.server.path" ? process.env.USIM_SERVER_PATH ?? fallback : fallback),
                }),
                onDidChangeConfiguration: () => ({ dispose() {} }),
                workspaceFolders: undefined,
                textDocuments: [],
            },
            inert,
        ),
    },
    inert,
);
const load = Module._load;
Module._load = function (request, ...rest) {
    return request === "vscode" ? vscode : load.call(this, request, ...rest);
};

const extension = require(process.argv[2]);
(async () => {
    const subscriptions = [];
    await extension.activate({ subscriptions });
    await extension.deactivate();
    // Let the dead server's pipes close before reporting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.stdout.write(`\n${JSON.stringify({ shown, output, uncaught, subscriptions: subscriptions.length })}\n`);
    process.exit(0);
})();
