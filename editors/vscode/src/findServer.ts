// Finds the usimc binary the extension starts as `<path> lsp`. Plain Node,
// no `vscode` import, so tests/server-path.test.mjs can run it outside VS Code.

import * as fs from "fs";
import * as path from "path";

/** Where to look: the environment and the first workspace folder, if any. */
export interface Lookup {
    /** The `PATH` of the extension host. */
    path?: string;
    /** Windows' `PATHEXT` (`.COM;.EXE;.BAT;...`); unused elsewhere. */
    pathExt?: string;
    /** The home directory, for a setting that starts with `~`. */
    home: string;
    /** The folder a relative setting is resolved against. */
    workspaceFolder?: string;
    /** `process.platform`, a parameter for the tests. */
    platform?: NodeJS.Platform;
}

export type Found = { ok: true; command: string } | { ok: false; message: string };

export const SETTING = "usim.server.path";
export const DEFAULT_SERVER = "usimc";

const INSTALL_HINT =
    "Install usimc (in a clone of usim: `cargo install --path .`) or set " +
    `\`${SETTING}\` to the binary's full path. Syntax highlighting works without it.`;

/**
 * The command to spawn for the setting `usim.server.path`: a bare name (the
 * default `usimc`) is looked up on the PATH, then in ~/.cargo/bin; anything
 * with a path separator is
 * a path (`~/` is the home directory; a relative one is relative to the first
 * workspace folder). The result names an existing executable file, or says
 * in a sentence for the user why there is none.
 */
export function findServer(setting: string | undefined, lookup: Lookup): Found {
    const platform = lookup.platform ?? process.platform;
    const paths = platform === "win32" ? path.win32 : path.posix;
    const wanted = (setting ?? "").trim() || DEFAULT_SERVER;
    const cannot = "usim: cannot start the language server:";

    const isPath = wanted.includes("/") || (platform === "win32" && wanted.includes("\\")) || wanted.startsWith("~");
    if (!isPath) {
        for (const dir of (lookup.path ?? "").split(paths.delimiter)) {
            if (dir === "") {
                continue;
            }
            for (const candidate of withExtensions(paths.join(dir, wanted), platform, lookup.pathExt)) {
                if (executable(candidate, platform) === undefined) {
                    return { ok: true, command: candidate };
                }
            }
        }
        // Where `cargo install` puts it, for an editor started without the
        // login shell's PATH.
        const cargoBin = paths.join(lookup.home, ".cargo", "bin", wanted);
        for (const candidate of withExtensions(cargoBin, platform, lookup.pathExt)) {
            if (executable(candidate, platform) === undefined) {
                return { ok: true, command: candidate };
            }
        }
        return {
            ok: false,
            message: `${cannot} \`${wanted}\` was not found on the PATH or in ~/.cargo/bin. ${INSTALL_HINT}`,
        };
    }

    let full = wanted;
    if (full === "~" || full.startsWith("~/") || (platform === "win32" && full.startsWith("~\\"))) {
        full = paths.join(lookup.home, full.slice(1));
    }
    if (!paths.isAbsolute(full)) {
        if (lookup.workspaceFolder === undefined) {
            return {
                ok: false,
                message: `${cannot} \`${SETTING}\` is the relative path \`${wanted}\`, and no folder is open to resolve it against. Use an absolute path.`,
            };
        }
        full = paths.resolve(lookup.workspaceFolder, full);
    }
    for (const candidate of withExtensions(full, platform, lookup.pathExt)) {
        if (executable(candidate, platform) === undefined) {
            return { ok: true, command: candidate };
        }
    }
    const why = executable(full, platform) ?? "does not exist";
    return { ok: false, message: `${cannot} \`${full}\` (the setting \`${SETTING}\`) ${why}. ${INSTALL_HINT}` };
}

/** On Windows a name without an extension may mean `usimc.exe`. */
function withExtensions(file: string, platform: NodeJS.Platform, pathExt: string | undefined): string[] {
    if (platform !== "win32" || path.win32.extname(file) !== "") {
        return [file];
    }
    const extensions = (pathExt ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((ext) => ext !== "");
    return [file, ...extensions.map((ext) => file + ext.toLowerCase())];
}

/** `undefined` if `file` is an executable file, else why not. */
function executable(file: string, platform: NodeJS.Platform): string | undefined {
    let stat: fs.Stats;
    try {
        stat = fs.statSync(file);
    } catch {
        return "does not exist";
    }
    if (stat.isDirectory()) {
        return "is a directory, not the usimc binary";
    }
    if (!stat.isFile()) {
        return "is not a file";
    }
    if (platform !== "win32") {
        try {
            fs.accessSync(file, fs.constants.X_OK);
        } catch {
            return "is not executable (chmod +x it)";
        }
    }
    return undefined;
}
