// A test reporter that only speaks when the others are silent: while no test has finished for
// a while (an end-to-end test can take minutes), it prints which tests are running and for how
// long, so a run never looks hung. scripts/run-tests.js adds it next to the spec reporter.
"use strict";
const { Transform } = require("node:stream");
const path = require("node:path");

const QUIET_MS = Number(process.env.MAILBOX_ADDRESSES_TEST_HEARTBEAT_MS) || 15_000;

class Heartbeat extends Transform {
  constructor() {
    super({ writableObjectMode: true });
    this.running = new Map();
    this.lastNews = Date.now();
    this.startedAt = Date.now();
    this.timer = setInterval(() => this.beat(), 1000);
    this.timer.unref();
  }

  _transform(event, _encoding, done) {
    const data = event.data ?? {};
    const key = `${data.file}\0${data.nesting}\0${data.name}`;
    if (event.type === "test:start") this.running.set(key, { ...data, since: Date.now() });
    if (event.type === "test:pass" || event.type === "test:fail") {
      this.running.delete(key);
      this.lastNews = Date.now();
    }
    done();
  }

  beat() {
    const now = Date.now();
    if (now - this.lastNews < QUIET_MS || this.running.size === 0) return;
    this.lastNews = now;
    // The innermost running tests say most: drop those that merely contain another running one.
    const tests = [...this.running.values()];
    const innermost = tests.filter((t) => !tests.some((o) => o !== t && o.file === t.file && o.nesting > t.nesting));
    const names = innermost.map((t) => `${path.basename(t.file ?? "?")}: ${t.name} (${Math.round((now - t.since) / 1000)} s)`);
    this.push(`[test] ${Math.round((now - this.startedAt) / 1000)} s, still running: ${names.join("; ")}\n`);
  }

  _flush(done) {
    clearInterval(this.timer);
    done();
  }
}

module.exports = new Heartbeat();
