// Starts and stops the real `tyto serve` for a browser test: a free port, a fresh data directory, and
// only the TYTO_* variables the test names (a caller's database URL would point the server elsewhere).

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

// Resolves { child, port } once the server's "listening" log line names its port; child.log keeps the
// last 200 lines of its log.
export function startServer(binary, dir, env = {}) {
  // TYTO_CONSOLE_ASSETS_DIR passes through: it lets a developer test console edits without a rebuild.
  const childEnv = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('TYTO_') || k === 'TYTO_CONSOLE_ASSETS_DIR'));
  Object.assign(childEnv, env);
  const child = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(dir, 'data')],
    { cwd: dir, env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const log = [];
  child.log = log;
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line within 15 s:\n${log.join('\n')}`)), 15_000);
    child.on('error', (err) => { clearTimeout(timer); reject(err); });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${log.join('\n')}`));
    });
    createInterface({ input: child.stderr }).on('line', (line) => {
      log.push(line);
      if (log.length > 200) log.shift();
      let entry;
      try { entry = JSON.parse(line); } catch { return; }
      if (entry.msg === 'listening' && entry.port) {
        clearTimeout(timer);
        resolvePort({ child, port: entry.port });
      }
    });
  });
}

export async function stopServer(child) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(killer);
}
