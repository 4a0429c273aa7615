// The usim extension: the grammar and language configuration are declared in
// package.json; this starts the language server, `usimc lsp` over stdio, for
// every document of the language `usim`.

import * as os from "os";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { DEFAULT_SERVER, SETTING, findServer } from "./findServer";

const NAME = "usim Language Server";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;
// Starts and stops run one after the other, however fast restarts come.
let queue: Promise<void> = Promise.resolve();

function enqueue(step: () => Promise<void>): Promise<void> {
    queue = queue.then(step, step);
    return queue;
}

export function activate(context: vscode.ExtensionContext): Promise<void> {
    output = vscode.window.createOutputChannel(NAME);
    context.subscriptions.push(
        output,
        vscode.commands.registerCommand("usim.restartServer", () => enqueue(restart)),
        vscode.workspace.onDidChangeConfiguration((event) => {
            if (event.affectsConfiguration(SETTING)) {
                void enqueue(restart);
            }
        }),
    );
    return enqueue(start);
}

export function deactivate(): Promise<void> {
    return enqueue(stop);
}

async function restart(): Promise<void> {
    await stop();
    await start();
}

async function start(): Promise<void> {
    const setting = vscode.workspace.getConfiguration().get<string>(SETTING, DEFAULT_SERVER);
    const found = findServer(setting, {
        path: process.env.PATH,
        pathExt: process.env.PATHEXT,
        home: os.homedir(),
        workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    });
    if (!found.ok) {
        output?.appendLine(found.message);
        void showError(found.message);
        return;
    }

    // No `transport`: the client then spawns exactly `<command> lsp` and talks
    // over its stdin and stdout (TransportKind.stdio would add `--stdio`).
    const serverOptions: ServerOptions = { command: found.command, args: ["lsp"] };
    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            { scheme: "file", language: "usim" },
            { scheme: "untitled", language: "usim" },
        ],
        outputChannel: output,
    };
    // The id `usim` makes the client read the setting `usim.trace.server`.
    const starting = new LanguageClient("usim", NAME, serverOptions, clientOptions);
    client = starting;
    try {
        await starting.start();
    } catch (error) {
        client = undefined;
        await stopQuietly(starting);
        const reason = error instanceof Error ? error.message : String(error);
        const message =
            `usim: \`${found.command} lsp\` did not start: ${reason}. ` +
            "Is this usimc new enough to have the `lsp` command? " +
            `The "${NAME}" output shows what it said.`;
        output?.appendLine(message);
        void showError(message);
    }
}

async function stop(): Promise<void> {
    const running = client;
    client = undefined;
    if (running !== undefined) {
        await stopQuietly(running);
    }
}

async function stopQuietly(languageClient: LanguageClient): Promise<void> {
    try {
        if (languageClient.needsStop()) {
            await languageClient.stop();
        }
    } catch (error) {
        output?.appendLine(`usim: stopping the language server: ${String(error)}`);
    }
}

async function showError(message: string): Promise<void> {
    const settings = "Open Settings";
    const show = "Show Output";
    const choice = await vscode.window.showErrorMessage(message, settings, show);
    if (choice === settings) {
        await vscode.commands.executeCommand("workbench.action.openSettings", SETTING);
    } else if (choice === show) {
        output?.show(true);
    }
}
