// Opens an array trace (trace-event JSON) in speedscope, offline, in a headless Chromium, as a
// user would: speedscope's own page from the npm package, the file picked with its "Browse"
// file input. Checks in the page that speedscope imported the file and lists one profile per
// track of the trace that holds events (each DMA channel and core in use), then keeps two
// screenshots: the timeline and the list of tracks.
//
//   node open-trace.mjs TRACE.json OUT_DIR [CHROMIUM]
//
// Exit status 0 when every check passed, 1 otherwise (the reason on stderr).
// Test-only: run by tests/host/array-trace-viewer.sh with the packages of package-lock.json.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const [tracePath, outDir, chromiumPath = '/usr/bin/chromium'] = process.argv.slice(2);
if (!tracePath || !outDir) {
    console.error('usage: node open-trace.mjs TRACE.json OUT_DIR [CHROMIUM]');
    process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });

// The tracks speedscope must show: every track the trace names (a thread_name record; the
// writer names a track when it is first used) that holds span events, with its process_name.
// Taken from the records, not from distinct (pid, tid) pairs, so that two tracks written with
// one (pid, tid) show up as one profile too few.
const events = JSON.parse(fs.readFileSync(tracePath, 'utf8')).traceEvents;
const processes = new Map(), named = [], used = new Set();
for (const e of events) {
    if (e.ph === 'M' && e.name === 'process_name') processes.set(e.pid, e.args.name);
    else if (e.ph === 'M' && e.name === 'thread_name') named.push({ pid: e.pid, tid: e.tid, thread: e.args.name });
    else if (e.ph === 'X' || e.ph === 'B' || e.ph === 'E') used.add(`${e.pid}:${e.tid}`);
}
const expected = named.filter(t => used.has(`${t.pid}:${t.tid}`))
                      .map(t => ({ ...t, key: `${t.pid}:${t.tid}`, process: processes.get(t.pid) }));
if (expected.length === 0) {
    console.error(`${tracePath}: no named track with span events: nothing for a viewer to show`);
    process.exit(1);
}
for (const key of used) {
    if (!named.some(t => `${t.pid}:${t.tid}` === key)) {
        console.error(`${tracePath}: track ${key} has events but no thread_name record`);
        process.exit(1);
    }
}
for (const t of expected) {
    if (!t.process) {
        console.error(`${tracePath}: track ${t.key} (${t.thread}) has no process_name record`);
        process.exit(1);
    }
}

const require = createRequire(import.meta.url);
const speedscopeIndex = path.join(path.dirname(require.resolve('speedscope/package.json')),
                                  'dist', 'release', 'index.html');

const failures = [];
const browser = await chromium.launch({
    executablePath: chromiumPath,
    // Root in a container or CI has no user namespace sandbox for Chromium.
    args: ['--no-sandbox'],
});
try {
    const context = await browser.newContext({ viewport: { width: 1600, height: 900 } });
    // Offline: the page may load its own files only.
    const blocked = [];
    await context.route('**/*', route => {
        const url = route.request().url();
        if (url.startsWith('file:') || url.startsWith('data:') || url.startsWith('blob:')) return route.continue();
        blocked.push(url);
        return route.abort();
    });
    const page = await context.newPage();
    const logs = [];
    page.on('console', m => logs.push(m.text()));
    page.on('pageerror', e => failures.push(`page error: ${e.message}`));

    await page.goto('file://' + speedscopeIndex);
    await page.setInputFiles('input[type=file]', tracePath);
    const name = path.basename(tracePath);
    // Imported: speedscope titles the page after the file and shows "(1/N)", N profiles.
    await page.waitForFunction(n => document.title === `${n} - speedscope`, name, { timeout: 30000 });
    const counter = page.getByText(new RegExp(`^\\(1/${expected.length}\\)$`));
    try {
        await counter.waitFor({ timeout: 10000 });
    } catch {
        const body = (await page.locator('body').innerText()).slice(0, 400);
        failures.push(`speedscope does not show (1/${expected.length}) profiles; the page says: ${body}`);
    }
    if (!logs.some(l => l.includes('Importing as Trace Event Format')))
        failures.push(`speedscope did not import the file as trace-event JSON (console: ${logs.join(' | ')})`);
    await page.screenshot({ path: path.join(outDir, 'speedscope-timeline.png') });

    // The profile list: every track, by its process and thread name.
    if (failures.length === 0) {
        await counter.click();
        await page.locator('tr[title]').first().waitFor({ timeout: 10000 });
        const listed = await page.locator('tr[title]').evaluateAll(rows => rows.map(r => r.getAttribute('title')));
        fs.writeFileSync(path.join(outDir, 'speedscope-tracks.txt'), listed.join('\n') + '\n');
        await page.screenshot({ path: path.join(outDir, 'speedscope-tracks.png') });
        if (listed.length !== expected.length)
            failures.push(`speedscope lists ${listed.length} tracks, the trace holds ${expected.length}`);
        for (const t of expected) {
            // speedscope names a profile "<process> (pid P), <thread> (tid T)".
            const hits = listed.filter(l => l.includes(t.process) && l.includes(t.thread) &&
                                            l.includes(`(pid ${t.pid})`) && l.includes(`(tid ${t.tid})`));
            if (hits.length !== 1)
                failures.push(`track "${t.process} / ${t.thread}" is listed ${hits.length} times`);
        }
        console.log(`speedscope lists ${listed.length} tracks:`);
        for (const l of listed) console.log(`  ${l}`);
    }
    if (blocked.length) console.log(`requests blocked (offline): ${blocked.join(', ')}`);
} finally {
    await browser.close();
}
if (failures.length) {
    for (const f of failures) console.error(`FAIL: ${f}`);
    process.exit(1);
}
console.log(`speedscope imported ${path.basename(tracePath)}: ${expected.length} tracks, screenshots in ${outDir}`);
