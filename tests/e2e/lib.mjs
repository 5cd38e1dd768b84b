// Browser-test plumbing: a real headless Chromium (Debian's) driven by
// playwright-core, a throwaway database and a secondop server per test file.
import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';

export const ROOT = process.env.SECONDOP_SHARE_DIR || path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const BIN = process.env.SECONDOP_BIN || path.join(ROOT, 'build', 'secondop');
export const ARTIFACTS = process.env.SECONDOP_ARTIFACTS || path.join(ROOT, 'tests', 'out', 'screenshots');

// A user made with `secondop create-user` (with a second factor unless a
// patient): { id, email, name, password, secret }.
export function createUser(srv, role, email, name, password) {
  const args = ['create-user', '--role', role, '--email', email, '--name', name, '--password-stdin',
    '--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT];
  if (role !== 'patient') args.push('--totp');
  const out = execFileSync(BIN, args, { input: password + '\n', encoding: 'utf8' });
  const id = out.match(/user-id: (\d+)/);
  const secret = out.match(/totp-secret: (\S+)/);
  if (!id) throw new Error('create-user printed no id: ' + out);
  return { id: Number(id[1]), email, name, password, secret: secret ? secret[1] : null };
}

// Starts `secondop serve` on a free port against a fresh database in the
// cluster the runner made (SECONDOP_TEST_DSN_BASE names its socket folder).
export async function startServer(name, extraArgs = [], env = {}) {
  const dsn = await newDatabase(name);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sop-e2e-'));
  const logPath = path.join(dataDir, 'server.log');
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(BIN, ['serve', '--listen', '127.0.0.1:0', '--database-url', dsn, '--data-dir', dataDir,
    '--share-dir', ROOT, '--threads', '4', ...extraArgs], { stdio: ['ignore', log, log], env: { ...process.env, ...env } });
  const deadline = Date.now() + 30000;
  while (Date.now() < deadline) {
    const text = fs.readFileSync(logPath, 'utf8');
    const m = text.match(/serving on http:\/\/127\.0\.0\.1:(\d+)\//);
    if (m) return { url: `http://127.0.0.1:${m[1]}`, dsn, dataDir, proc, logPath,
      log: () => fs.readFileSync(logPath, 'utf8'),
      stop: () => new Promise((res) => { proc.once('exit', res); proc.kill('SIGTERM'); }) };
    if (proc.exitCode !== null) throw new Error('secondop exited:\n' + text);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('secondop did not start');
}

let dbCounter = 0;
async function newDatabase(name) {
  const sock = process.env.SECONDOP_TEST_PGHOST;
  if (!sock) throw new Error('SECONDOP_TEST_PGHOST is not set (run through tests/e2e/run.mjs)');
  const db = `e2e_${process.pid}_${++dbCounter}_${name.replace(/[^a-z0-9]/gi, '').toLowerCase()}`.slice(0, 60);
  execFileSync('psql', ['-h', sock, '-U', 'secondop', '-d', 'postgres', '-qc', `CREATE DATABASE ${db} TEMPLATE base`]);
  return `host=${sock} dbname=${db} user=secondop`;
}

export function sql(dsn, query) {
  const m = dsn.match(/host=(\S+) dbname=(\S+)/);
  return execFileSync('psql', ['-h', m[1], '-U', 'secondop', '-d', m[2], '-Atqc', query], { encoding: 'utf8' }).trim();
}

// Pending outbox messages with their bodies opened by `secondop outbox` (the
// table keeps bodies sealed with the server's key): [{id, to, subject, body}].
export function outboxMessages(srv) {
  const out = execFileSync(BIN, ['outbox', '--database-url', srv.dsn, '--data-dir', srv.dataDir, '--share-dir', ROOT],
    { encoding: 'utf8' });
  const re = /---- message (\d+), queued [^\n]*----\nTo: ([^\n]*)\nSubject: ([^\n]*)\n\n([\s\S]*?)\n\n(?=---- message |\d+ pending message)/g;
  return [...out.matchAll(re)].map((m) => ({ id: Number(m[1]), to: m[2], subject: m[3], body: m[4] }));
}

export async function launchBrowser() {
  // playwright gives each launch a fresh, empty profile of its own
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return browser;
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

// Runs axe-core in the page and returns serious or critical violations.
export async function axeViolations(page) {
  const src = fs.readFileSync(path.join(ROOT, 'tests', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  // CSP forbids inline script for the page, but evaluate() runs in the devtools world
  await page.evaluate(src);
  const res = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  return res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
}

export function totp(secretBase32, t = Date.now()) {
  // RFC 6238 with SHA-1, 6 digits, 30 s
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of secretBase32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  const key = Buffer.from(bytes);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(t / 1000 / 30)));
  return import('node:crypto').then(({ createHmac }) => {
    const h = createHmac('sha1', key).update(counter).digest();
    const o = h[h.length - 1] & 0xf;
    const code = ((h.readUInt32BE(o) & 0x7fffffff) % 1000000).toString().padStart(6, '0');
    return code;
  });
}
