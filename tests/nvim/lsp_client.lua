-- A Neovim client of `usimc lsp`, run headless by tests/lsp.rs:
--
--   USIMC=path/to/usimc USIM_MODEL=model.usim USIM_OUT=report.txt \
--     nvim --headless --clean -u NONE -i NONE -n -c "luafile tests/nvim/lsp_client.lua"
--
-- It opens the model, starts the server for its buffer, waits for the
-- diagnostics, writes one line per diagnostic (code, line, column, the
-- message with its line breaks as " | "; lines and columns from 0, columns
-- in bytes as Neovim keeps them), stops the server (shutdown, exit), writes
-- "server exited CODE" and quits. It works on Neovim 0.7 (Debian bookworm:
-- vim.lsp.start_client and buf_attach_client) and on later versions, which
-- have vim.lsp.start.

local usimc = os.getenv("USIMC")
local model = os.getenv("USIM_MODEL")
local out = os.getenv("USIM_OUT")
local lines = {}
local exit_code = nil

local function finish()
  vim.fn.writefile(lines, out)
  vim.cmd("qall!")
end

vim.cmd("edit " .. vim.fn.fnameescape(model))
local buf = vim.api.nvim_get_current_buf()

local config = {
  name = "usimc",
  cmd = { usimc, "lsp" },
  root_dir = vim.fn.fnamemodify(model, ":p:h"),
  on_exit = function(code, _signal, _client_id)
    exit_code = code
  end,
}
local client_id
if vim.lsp.start then
  client_id = vim.lsp.start(config, { bufnr = buf })
else
  client_id = vim.lsp.start_client(config)
  vim.lsp.buf_attach_client(buf, client_id)
end
if not client_id then
  table.insert(lines, "the server did not start")
  finish()
  return
end

local got = vim.wait(30000, function()
  return #vim.diagnostic.get(buf) > 0
end, 20)
if not got then
  table.insert(lines, "no diagnostics in 30 s")
end

local diagnostics = vim.diagnostic.get(buf)
table.sort(diagnostics, function(a, b)
  if a.lnum ~= b.lnum then
    return a.lnum < b.lnum
  end
  return a.col < b.col
end)
for _, d in ipairs(diagnostics) do
  local message = string.gsub(d.message, "\n", " | ")
  table.insert(lines, string.format("%s %d %d %s", tostring(d.code), d.lnum, d.col, message))
end

vim.lsp.stop_client(client_id)
local stopped = vim.wait(10000, function()
  return exit_code ~= nil
end, 20)
if stopped then
  table.insert(lines, "server exited " .. tostring(exit_code))
else
  table.insert(lines, "the server did not exit in 10 s")
end
finish()
