// The usim extension: the grammar and language configuration are declared in
// package.json; this starts the language server, `usimc lsp` over stdio, for
// every document of the language `usim`.

import * as os from "os";
import * as vscode from "vscode";
import { LanguageClient, LanguageClientOptions, ServerOptions } from "vscode-languageclient/node";
import { DEFAULT_SERVER, SETTING, findServer } from "./findServer";

const NAME = "usim Language Server";

/**
 * The language client, quiet while it starts: a server that cannot start
 * (an old usimc without `lsp`, a crash) makes the library pop up three or four
 * notifications at once; while starting they go to the output channel only,
 * and `start` shows one message that says what to do.
 */
class UsimClient extends LanguageClient {
    starting = true;
    /** "Server process exited with code 2.", when it did. */
    exitNote: string | undefined;
    private noteExit: () => void = () => {};
    /** Settles when the server process has exited. */
    readonly exited = new Promise<void>((resolve) => (this.noteExit = resolve));

    override error(message: string, data?: unknown, showNotification: boolean | "force" = true): void {
        if (message.startsWith("Server process exited")) {
            this.exitNote = message;
            this.noteExit?.();
        }
        super.error(message, data, this.starting ? false : showNotification);
    }
}

let client: UsimClient | undefined;
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
        // A failed initialize is not retried: `start` reports it.
        initializationFailedHandler: () => false,
    };
    // The id `usim` makes the client read the setting `usim.trace.server`.
    const starting = new UsimClient("usim", NAME, serverOptions, clientOptions);
    client = starting;
    try {
        await starting.start();
        starting.starting = false;
    } catch (error) {
        client = undefined;
        await stopQuietly(starting);
        // A server that exits at once may fail the start (a write to its
        // closed stdin) before its exit is seen; its exit code says more.
        await Promise.race([starting.exited, new Promise((resolve) => setTimeout(resolve, 1000))]);
        const reason = starting.exitNote ?? (error instanceof Error ? error.message : String(error));
        const message =
            `usim: \`${found.command} lsp\` did not start: ${reason.replace(/\.\s*$/, "")}. ` +
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

async function stopQuietly(languageClient: UsimClient): Promise<void> {
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
